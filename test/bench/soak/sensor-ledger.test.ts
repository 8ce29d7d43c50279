import { describe, expect, it } from 'vitest';
import { seqsThrough, sensorLedger, type ProducedStream, type StoredReading } from './sensor-ledger.js';

const stream = (agentId: string, sensorId: string, boot: string, seqs: number[], complete = true): ProducedStream => ({ agentId, sensorId, boot, seqs, complete });
const stored = (agentId: string, sensorId: string, seqs: number[], bootId = 'b1'): StoredReading[] => seqs.map((seq) => ({ agentId, sensorId, seq, bootId }));

describe('soak sensor ledger', () => {
  it('finds nothing lost when the lead stored every reading, across the agent restarting', () => {
    const ledger = sensorLedger(
      [stream('pi-0', 'cmd', 'run 1', [0, 1, 2]), stream('pi-0', 'cmd', 'run 2', [3, 4])],
      [...stored('pi-0', 'cmd', [0, 1, 2], 'boot-a'), ...stored('pi-0', 'cmd', [3, 4], 'boot-b')],
    );
    expect(ledger).toEqual({ streams: 2, produced: 5, stored: 5, lost: 0, duplicated: 0, unmatchedAtLead: 0, lostBy: [] });
  });

  it('counts each reading the lead lacks as lost, per (agent, sensor, boot)', () => {
    const ledger = sensorLedger(
      [stream('pi-0', 'cmd', 'run 1', [0, 1, 2]), stream('pi-0', 'cmd', 'run 2', [3, 4, 5]), stream('sim-1', 'temp', 'sim', seqsThrough(3), false)],
      [...stored('pi-0', 'cmd', [0, 1, 2, 5]), ...stored('sim-1', 'temp', [0, 2, 3])],
    );
    expect(ledger.produced).toBe(10);
    expect(ledger.stored).toBe(7);
    expect(ledger.lost).toBe(3);
    expect(ledger.lostBy).toEqual([
      { agentId: 'pi-0', sensorId: 'cmd', boot: 'run 2', produced: 3, lost: 2, lostSeqs: [3, 4] },
      { agentId: 'sim-1', sensorId: 'temp', boot: 'sim', produced: 4, lost: 1, lostSeqs: [1] },
    ]);
  });

  it('counts a reading stored twice as a duplicate, not as two readings', () => {
    const ledger = sensorLedger([stream('pi-0', 'cmd', 'run 1', [0, 1])], [...stored('pi-0', 'cmd', [0, 1]), ...stored('pi-0', 'cmd', [1], 'b2')]);
    expect([ledger.stored, ledger.lost, ledger.duplicated]).toEqual([2, 0, 1]);
  });

  it('counts a reading once when two records list it, the first naming its boot', () => {
    // A daemon's log and its heartbeat summary both cover seq 0-2; the summary alone covers seq 3 (its log line was cut).
    const ledger = sensorLedger([stream('pi-0', 'cmd', 'run 1', [0, 1, 2]), stream('pi-0', 'cmd', 'heartbeat summary', seqsThrough(3), false)], stored('pi-0', 'cmd', [0, 1, 2]));
    expect([ledger.produced, ledger.lost]).toEqual([4, 1]);
    expect(ledger.lostBy.map((l) => [l.boot, l.lostSeqs])).toEqual([['heartbeat summary', [3]]]);
  });

  it('tells stored readings a complete record skips from readings taken after the records were read', () => {
    const ledger = sensorLedger(
      [stream('pi-0', 'cmd', 'run 1', [0, 1]), stream('sim-1', 'temp', 'sim', seqsThrough(1), false)],
      [...stored('pi-0', 'cmd', [0, 1, 7]), ...stored('sim-1', 'temp', [0, 1, 2])],
    );
    // seq 7 was taken after the daemon's log was read: not a stranger.
    expect(ledger.unmatchedAtLead).toBe(0);
    const gap = sensorLedger([stream('pi-0', 'cmd', 'run 1', [0, 2])], stored('pi-0', 'cmd', [0, 1, 2, 3]));
    expect([gap.unmatchedAtLead, gap.lost]).toEqual([1, 0]);
    expect(ledger.lost).toBe(0);
  });

  it('lists nothing for an agent that took no readings', () => {
    expect(seqsThrough(-1)).toEqual([]);
    expect(sensorLedger([stream('sim-2', 'relay', 'sim', [], false)], []).streams).toBe(0);
  });
});
