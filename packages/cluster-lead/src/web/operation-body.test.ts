/**
 * The dashboard's operation form checks what it can before sending (operation-body.ts); these
 * are the same rules the API applies to the payload (WIRE_LIMITS, verb payload schemas).
 */
import { WIRE_LIMITS } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES, operationBody, type FormInput } from '../../web/src/operation-body.js';

const form = (over: Partial<FormInput> = {}): FormInput => ({ kind: 'scatter_gather', verb: 'record', payload: '{}', target: 'all', targetValue: '', releaseMode: 'auto', quorumPct: '', ...over });

describe('the operation form body', () => {
  it('maps the fields onto POST /v1/operations', () => {
    expect(operationBody(form({ payload: '{"n": 1}', releaseMode: 'hold', quorumPct: '75' }))).toEqual({
      ok: true,
      body: { kind: 'scatter_gather', verb: 'record', selector: { all: true }, payload: { n: 1 }, release_mode: 'hold', min_response_rate: 0.75 },
    });
    expect(operationBody(form({ kind: 'broadcast', payload: '', target: 'agent_ids', targetValue: 'pi-1, pi-2  pi-3', releaseMode: 'hold', quorumPct: '75' }))).toEqual({
      ok: true,
      body: { kind: 'broadcast', verb: 'record', selector: { agent_ids: ['pi-1', 'pi-2', 'pi-3'] } },
    });
    expect(operationBody(form({ target: 'capability', targetValue: ' act:relay ' }))).toMatchObject({ ok: true, body: { selector: { capability: 'act:relay' } } });
  });

  it('refuses, naming the field, what the API would refuse', () => {
    expect(MAX_PAYLOAD_BYTES).toBe(WIRE_LIMITS.maxPayloadBytes);
    expect(operationBody(form({ payload: '{"a": ' }))).toMatchObject({ ok: false, field: 'payload' });
    expect(operationBody(form({ payload: JSON.stringify({ blob: 'x'.repeat(MAX_PAYLOAD_BYTES) }) }))).toMatchObject({ ok: false, field: 'payload' });
    expect(operationBody(form({ verb: 'act', payload: '{"output": "relay"}' }))).toMatchObject({ ok: false, field: 'payload.action' });
    expect(operationBody(form({ verb: 'act', payload: '{"action": "identify"}' }))).toMatchObject({ ok: true });
    expect(operationBody(form({ verb: 'sync', payload: '{}' }))).toMatchObject({ ok: false, field: 'payload.context_hash' });
    expect(operationBody(form({ target: 'cluster_id', targetValue: '  ' }))).toMatchObject({ ok: false, field: 'selector' });
    expect(operationBody(form({ quorumPct: '120' }))).toMatchObject({ ok: false, field: 'min_response_rate' });
  });
});
