import { describe, expect, it } from 'vitest';
import { inboxPrefix, subjectSpaces, subjects } from './subjects.js';

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

describe('subjectSpaces', () => {
  it('cover exactly the subjects they are named after', () => {
    expect(subjectSpaces.agent('pi-1')).toBe('mesh.agent.pi-1.>');
    expect(subjects.coordinateAgent('pi-1').startsWith(subjectSpaces.agent('pi-1').slice(0, -1))).toBe(true);
    expect(subjects.probe('pi-1').startsWith(subjectSpaces.agent('pi-1').slice(0, -1))).toBe(true);
    for (const family of ['heartbeat', 'ack', 'conflict', 'control', 'summary', 'enroll', 'coordinateGroup'] as const) {
      expect(subjects[family]('lead-1').startsWith(subjectSpaces.lead('lead-1').slice(0, -1))).toBe(true);
    }
    expect(subjectSpaces.allAgents()).toBe('mesh.agent.>');
  });
});
