import { describe, expect, it } from 'vitest';
import { inboxPrefix, subjects } from './subjects.js';

describe('inboxPrefix', () => {
  it('puts the owner id right under _INBOX, so a permission can name it', () => {
    expect(inboxPrefix('pi-0001')).toBe('_INBOX.pi-0001');
  });

  it('refuses an id that would widen what the prefix matches', () => {
    expect(() => inboxPrefix('pi.*')).toThrow(TypeError);
    expect(() => inboxPrefix('>')).toThrow(/cannot be a subject token/);
  });

  it('agent subjects and lead subjects stay apart', () => {
    expect(subjects.probe('pi-0001')).toBe('mesh.agent.pi-0001.probe');
    expect(subjects.heartbeat('lead-1')).toBe('mesh.lead-1.hb');
  });
});
