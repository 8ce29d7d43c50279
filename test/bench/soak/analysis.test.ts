import { describe, expect, it } from 'vitest';
import { countOperations, faultOf, lossGroups, rssSegments } from './analysis.js';
import type { FaultRecord } from './faults.js';
import type { LeadSample } from './lead-watch.js';
import { metricValues } from '../lib/metric-values.js';
import { counterIncrease } from './lead-watch.js';
import type { SoakOperation } from './operations.js';
import { actualPhases, soakOptions, soakTimeline } from './plan.js';

function op(id: string, submittedAt: number, over: Partial<SoakOperation> = {}): SoakOperation {
  return { id, kind: 'scatter_gather', submittedAt, postStatus: 202, state: 'SUCCEEDED', resultStatus: 'SUCCESS', responders: 1, stragglers: 0, skipped: {}, problem: null, settledAt: submittedAt + 1, ...over };
}

function sample(at: number, pid: number, over: Partial<LeadSample> = {}): LeadSample {
  return { at, pid, up: true, heartbeatsAccepted: null, heartbeatsRefused: {}, loopDelayMs: null, apiByStatus: {}, breakersOpen: null, active: null, rssMb: 100, ...over };
}

describe('soak analysis', () => {
  it('sorts operations into outcomes', () => {
    const counts = countOperations([
      op('a', 0),
      op('b', 0, { resultStatus: 'PARTIAL' }),
      op('c', 0, { state: 'FAILED', resultStatus: null }),
      op('d', 0, { state: 'unsettled', settledAt: null }),
      op('e', 0, { postStatus: null, state: 'not accepted', settledAt: null }),
    ]);
    expect(counts).toEqual({ started: 5, accepted: 4, success: 1, partial: 1, failed: 1, unsettled: 1, notAccepted: 1 });
  });

  it('measures RSS per lead process, a restarted one after its start-up', () => {
    const samples = [sample(0, 1, { rssMb: 100 }), sample(60_000, 1, { rssMb: 106 }), sample(70_000, 2, { rssMb: 80 }), sample(90_000, 2, { rssMb: 90 }), sample(150_000, 2, { rssMb: 93 })];
    const segments = rssSegments(samples, 0, 150_000, 0, 10_000);
    expect(segments.map((x) => [x.pid, x.startMb, x.endMb, x.mbPerMin])).toEqual([
      [1, 100, 106, 6],
      [2, 90, 93, 3],
    ]);
  });

  it('reads counters at the window edges and counts a new lead process from 0', () => {
    const samples = [sample(0, 1, { heartbeatsAccepted: 1_000 }), sample(1_000, 1, { heartbeatsAccepted: 1_300 }), sample(2_000, 2, { heartbeatsAccepted: 50 }), sample(3_000, 2, { heartbeatsAccepted: 350 })];
    expect(counterIncrease(samples, 0, 3_000, (s) => s.heartbeatsAccepted)).toBe(300 + 50 + 300);
    expect(counterIncrease(samples, 1_000, 1_000, (s) => s.heartbeatsAccepted)).toBe(0);
  });

  it('parses a metric family with and without labels', () => {
    const text = ['# HELP x', 'mesh_lead_heartbeats_accepted_total 42', 'mesh_lead_heartbeats_refused_total{reason="BAD_SIGNATURE"} 7', 'mesh_lead_heartbeats_refused_total{reason="EXPIRED"} 1'].join('\n');
    expect(metricValues(text, 'mesh_lead_heartbeats_accepted_total')).toEqual({ '': 42 });
    expect(metricValues(text, 'mesh_lead_heartbeats_refused_total')).toEqual({ BAD_SIGNATURE: 7, EXPIRED: 1 });
  });

  it('puts each lost ACK with the fault its operation met and the lead\'s record of it', () => {
    const faults: FaultRecord[] = [{ kind: 'lead-kill', startedAt: 100_000, endedAt: 104_000, detail: {}, recoveries: [] }];
    const ops = [op('before', 50_000), op('inflight', 99_000), op('quiet', 200_000)];
    expect(faultOf(ops[1], faults, 30_000)).toBe('lead-kill');
    expect(faultOf(ops[0], faults, 30_000)).toBe('none');
    const groups = lossGroups(
      [
        { agentId: 'a', operationId: 'inflight', state: 'ready', source: 'sim' },
        { agentId: 'b', operationId: 'inflight', state: 'ready', source: 'sim' },
        { agentId: 'pi-0', operationId: 'quiet', state: 'ready', source: 'daemon' },
      ],
      ops,
      [{ operationId: 'inflight', status: 'running', result: null }],
      faults,
      30_000,
    );
    expect(groups).toEqual([
      { cause: 'lead-kill', source: 'sim', state: 'ready', leadRecord: 'running', count: 2, operations: ['inflight'] },
      { cause: 'none', source: 'daemon', state: 'ready', leadRecord: 'absent', count: 1, operations: ['quiet'] },
    ]);
  });

  it('takes its options from flags and SOAK_* variables, and names a bad one', () => {
    expect(soakOptions(['--quick'], {})).toMatchObject({ quick: true, durationS: 120, agents: 200, warmupS: 15 });
    expect(soakOptions(['--duration', '300'], { SOAK_AGENTS: '100' })).toMatchObject({ quick: false, durationS: 300, agents: 100 });
    expect(() => soakOptions([], { SOAK_AGENTS: 'many' })).toThrow(/SOAK_AGENTS must be a number/);
    expect(() => soakOptions(['--duration', '10'], {})).toThrow(/duration .* must be at least 60/);
  });

  it('lays the faults inside the fault window, in order', () => {
    const t = soakTimeline(600);
    const faults = t.phases.find((p) => p.name === 'faults')!;
    expect(t.faults.every((f) => f.atS >= faults.fromS && f.atS < faults.toS)).toBe(true);
    expect(t.faults.map((f) => f.kind)).toEqual(['flood', 'nats-outage+agent-kill', 'lead-kill', 'flood']);
    expect(t.phases.map((p) => [p.fromS, p.toS])).toEqual([[0, 120], [120, 510], [510, 600]]);
  });

  it('stretches the fault window to the last recovery and keeps the tail\'s length', () => {
    const t = soakTimeline(120);
    expect(actualPhases(t, 60).map((p) => [p.name, p.fromS, p.toS])).toEqual([['baseline', 0, 24], ['faults', 24, 102], ['tail', 102, 120]]);
    expect(actualPhases(t, 130.2).map((p) => [p.name, p.fromS, p.toS])).toEqual([['baseline', 0, 24], ['faults', 24, 131], ['tail', 131, 149]]);
  });
});
