import { describe, expect, it } from 'vitest';
import { operationOutcome } from './operation-outcome.js';
import { heartbeatRate, totalsLines } from './load-check.js';

describe('load check', () => {
  const text = [
    '{"level":"warn","msg":"heartbeat missed"}',
    '{"sim":{"agents":10,"heartbeatsSent":0,"heartbeatsMissed":30},"at":1000}',
    '{"sim":{"agents":10,"heartbeatsSent":100,"heartbeatsMissed":30},"at":2000}',
    '{"sim":{"agents":10,"heartbeatsSent":280,"heartbeatsMissed":31},"at":4000}',
    '{"sim":{"agents":10,"heart', // cut short by the exit
  ].join('\n');

  it('reads the totals lines and the rate over the measured part only', () => {
    const lines = totalsLines(text);
    expect(lines).toHaveLength(3);
    expect(heartbeatRate(lines, 1_500)).toEqual({ rate: 90, missed: 1 });
    expect(heartbeatRate(lines, 5_000)).toEqual({ rate: 0, missed: 0 });
    // Only the window: the lines after `until` are left out.
    expect(heartbeatRate(lines, 0, 2_000)).toEqual({ rate: 100, missed: 0 });
  });
});

describe('operation outcome', () => {
  it('reads a completed operation with a result', () => {
    const view = { state: 'completed', refusal: null, result: { status: 'SUCCESS', responders: [{}, {}], stragglers: ['a'], timings: { target_time: 5 } } };
    expect(operationOutcome(view)).toEqual({ settled: true, succeeded: true, targetTime: 5, responders: 2, stragglers: 1, problem: null });
  });

  it('reads the renamed job states and an error in place of a result', () => {
    expect(operationOutcome({ state: 'RUNNING', result: null })).toMatchObject({ settled: false, problem: null });
    expect(operationOutcome({ state: 'FAILED', result: null, error: { code: 'NO_TARGETS', message: 'none' } })).toMatchObject({ settled: true, succeeded: false, problem: 'NO_TARGETS: none' });
    expect(operationOutcome(undefined)).toMatchObject({ settled: false });
  });
});
