import { describe, expect, it } from 'vitest';
import { ActPayload, verbPayloadIssues, verbPayloadRefusal } from './verb-payloads.js';

describe('verb payloads', () => {
  it('requires a context hash for sync, and names the field that is wrong', () => {
    expect(verbPayloadIssues('sync', { context_hash: 'a'.repeat(64) })).toEqual([]);
    const missing = verbPayloadIssues('sync', null);
    expect(missing[0]?.path).toBe('');
    const wrong = verbPayloadIssues('sync', { context_hash: 'nope' });
    expect(wrong).toEqual([{ path: 'context_hash', message: expect.stringContaining('64 lower-case hex') }]);
    expect(verbPayloadRefusal('sync', wrong)).toMatch(/^sync payload context_hash: /);
  });

  it('takes the act actions the agents perform and nothing else', () => {
    expect(verbPayloadIssues('act', { action: 'set', output: 'relay', value: 'on' })).toEqual([]);
    expect(ActPayload.parse({ action: 'pulse', output: 'relay', duration_ms: 50 })).toEqual({ action: 'pulse', output: 'relay', duration_ms: 50, value: true });
    expect(verbPayloadIssues('act', { action: 'set', output: 'Relay!', value: true })[0]?.path).toBe('output');
    expect(verbPayloadIssues('act', { command: 'arm' })[0]?.path).toBe('action');
  });

  it('lets free-data verbs carry any JSON', () => {
    for (const verb of ['observe', 'orient', 'decide', 'record'] as const) expect(verbPayloadIssues(verb, { anything: [1, 'two'] })).toEqual([]);
    expect(verbPayloadIssues('record', null)).toEqual([]);
  });
});
