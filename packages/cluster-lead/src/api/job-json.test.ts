import { describe, expect, it } from 'vitest';
import { historyJobJson, quorumShortfall } from './job-json.js';

const decided = (status: string, counts: { selected: number; sent: number; ready: number }) => ({ status, counts });

describe('quorumShortfall', () => {
  it('is nothing for a success, and names why anything else is not one', () => {
    expect(quorumShortfall(decided('SUCCESS', { selected: 3, sent: 3, ready: 3 }))).toBeUndefined();
    expect(quorumShortfall(decided('PARTIAL', { selected: 6, sent: 0, ready: 0 }))).toMatchObject({ code: 'REACHED_NOBODY', message: expect.stringContaining('6 selected') });
    expect(quorumShortfall(decided('PARTIAL', { selected: 4, sent: 4, ready: 0 }))).toMatchObject({ code: 'NOBODY_READY', message: expect.stringContaining('sent to 4') });
    expect(quorumShortfall(decided('PARTIAL', { selected: 4, sent: 4, ready: 2 }))).toMatchObject({ code: 'QUORUM_NOT_MET', message: expect.stringContaining('2 of 4') });
    // A result with no figures at all did no work that can be shown.
    expect(quorumShortfall(null)?.code).toBe('REACHED_NOBODY');
  });
});

describe('historyJobJson', () => {
  it('shows a completed operation short of its quorum as FAILED, with its result kept', () => {
    const json = historyJobJson({ operationId: 'op-1', state: 'completed', submittedAt: 5, refusal: null, result: decided('PARTIAL', { selected: 2, sent: 0, ready: 0 }) });
    expect(json).toMatchObject({ operation_id: 'op-1', state: 'FAILED', error: { code: 'REACHED_NOBODY' }, result: { status: 'PARTIAL' } });
    const ok = historyJobJson({ operationId: 'op-2', state: 'completed', submittedAt: 5, refusal: null, result: decided('SUCCESS', { selected: 2, sent: 2, ready: 2 }) });
    expect(ok).toMatchObject({ state: 'SUCCEEDED' });
    expect(ok).not.toHaveProperty('error');
  });
});
