import { describe, expect, it } from 'vitest';
import type { SoakResults } from '../soak-bench.js';
import type { WindowFigures } from '../soak/analysis.js';
import { soakOptions, soakTimeline } from '../soak/plan.js';
import { markdownTable } from './render.js';
import { SOAK_BEGIN, SOAK_END, soakSection, soakTargetLine, spliceSoak } from './soak-section.js';

function windowOf(name: string, fromS: number, toS: number, lost: number): WindowFigures {
  return {
    name, fromS, toS,
    operations: { started: 10, accepted: 10, success: 9, partial: 1, failed: 0, unsettled: 0, notAccepted: 0 },
    acks: { sent: 1_000, reached: 1_000 - lost, lost, duplicated: 0, unmatchedAtLead: 0, duplicatedByAgents: 0 },
    heartbeats: { accepted: 6_000, perSecond: 100, asked: 101 },
    loopDelayMs: { p50: 21, p99: 40, max: 55, samples: 60 },
    breakerOpenScrapes: 0,
    rss: [{ pid: 7, fromS, toS, startMb: 120, endMb: 121, growthMb: 1, mbPerMin: 0.5 }],
  };
}

const options = soakOptions(['--quick'], {});
const results: SoakResults = {
  options,
  timeline: soakTimeline(options.durationS),
  phases: soakTimeline(options.durationS).phases,
  agents: { simulated: 200, daemons: 1 },
  windows: [windowOf('baseline', 0, 24, 0), windowOf('faults', 24, 102, 12), windowOf('tail', 102, 120, 0)],
  overall: windowOf('all', 0, 120, 12),
  faults: [{ kind: 'lead-kill', startedAt: 1, endedAt: 2, startedAtS: 67, scheduledAtS: 66, detail: { in_flight_operation: 'soak-inflight-9' }, recoveries: [{ what: 'lead serving its API', ms: 2_500 }, { what: 'every agent active', ms: null }] }],
  lostBy: [{ cause: 'lead-kill', source: 'sim', state: 'ready', leadRecord: 'running', count: 12, operations: ['soak-inflight-9'] }],
  unmatchedAtLead: [],
  sensorEvents: {
    configured: 'sims: a virtual temperature',
    settleMs: 1_500,
    ledger: { streams: 3, produced: 300, stored: 298, lost: 2, duplicated: 0, unmatchedAtLead: 0, lostBy: [{ agentId: 'pi-0', sensorId: 'echo', boot: 'run 2', produced: 40, lost: 2, lostSeqs: [51, 52] }] },
  },
  operations: [],
  samples: [],
};

describe('BENCHMARKS.md soak section', () => {
  it('states the ACK and sensor targets as met or missed', () => {
    expect(soakTargetLine(results)).toBe(
      'Soak (120 s with faults): ACKs lost 12 of 1000 (target 0: **MISSED**), ACKs duplicated into results 0 (target 0: met), ' +
        'sensor events lost 2 of 300 (target 0: **MISSED**), sensor readings stored twice 0 (target 0: met).',
    );
  });

  it('says plainly when sensors were not counted, and reads a report from before they were', () => {
    expect(soakTargetLine({ ...results, sensorEvents: { notCounted: 'GET /v1/agents/x/sensors: HTTP 503' } })).toContain('sensor events lost: **not counted** (GET /v1/agents/x/sensors: HTTP 503).');
    const legacy = { ...results, sensorEvents: 'not available: no sensor event message on this branch' } as unknown as SoakResults;
    expect(soakTargetLine(legacy)).toContain('sensor events lost: not available: no sensor event message on this branch.');
    expect(soakSection(legacy, markdownTable).join('\n')).toContain('Sensor events lost: not available: no sensor event message on this branch.');
  });

  it('compares every window with the baseline and says where lost ACKs came from', () => {
    const md = soakSection(results, markdownTable).join('\n');
    expect(md).toContain('| baseline (0-24 s) | 10 | 9 | 1 | 0 | 0 | 0 | 1000 | 0 | 0 | 100 / 101 | 40 | 55 | 0 |');
    expect(md).toContain('| lead-kill | 67 (66) | lead serving its API | 2.5 s |');
    expect(md).toContain('|  |  | every agent active | **not within 60 s** |');
    expect(md).toContain('| lead-kill | sim | ready | running | 12 | soak-inflight-9 |');
    expect(md).toContain('| 3 | 300 | 298 | 2 | 0 | 0 | 1.5 |');
    expect(md).toContain('| pi-0 | echo | run 2 | 40 | 2 | 51, 52 |');
  });

  it('replaces only its own section of the page, or appends it once', () => {
    const page = `# Benchmarks\n\n## crypto\n\nfigures\n\n${SOAK_BEGIN}\nold soak\n${SOAK_END}\n\n## edge\n`;
    const fresh = `${SOAK_BEGIN}\nnew soak\n${SOAK_END}`;
    expect(spliceSoak(page, fresh)).toBe(`# Benchmarks\n\n## crypto\n\nfigures\n\n${SOAK_BEGIN}\nnew soak\n${SOAK_END}\n\n## edge\n`);
    const appended = spliceSoak('# Benchmarks\n', fresh);
    expect(appended).toBe(`# Benchmarks\n\n${fresh}\n`);
    expect(spliceSoak(appended, fresh)).toBe(appended);
  });
});
