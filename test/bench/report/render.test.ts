import { describe, expect, it } from 'vitest';
import type { ArrivalResults } from '../arrival-bench.js';
import { checkTargets, type TargetCheck } from '../arrival/targets.js';
import type { ModeFigures } from '../arrival/stats.js';
import type { MachineInfo } from '../lib/machine.js';
import { arrivalPlot } from './publish.js';
import { markdownTable, renderBenchmarks, whyMissed } from './render.js';
import type { LoadedRun } from './run-manifest.js';

const machine: MachineInfo = { cores: 2, cpuModel: 'Test CPU', memoryGiB: 8, node: 'v20.19.0', natsServer: 'nats-server: v2.10.0', platform: 'linux-x64' };
const dist = (p99: number) => ({ n: 100, p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 1.5 });
const mode = (name: string, p99: number): ModeFigures => ({
  mode: name, operations: 10, arrivalAbs: dist(p99), arrivalSignedP50: 0, offsetAbs: dist(0.4), offsetSignedP50: 0, hitRate: 1, successRate: 1, within50msRate: 1, missing: 0, stragglers: 0,
});
const modes = [mode('hold', 3), mode('lead', 40), mode('none', 400)];
const arrival: ArrivalResults = {
  agents: 1_000, classes: 'A-E', windowMs: 50, warmupPerMode: 2, opsPerMode: 10, heartbeatMs: { mixed: 1_500 }, clock: { offsetMs: 2_000, driftPpm: 50 }, quick: false,
  profiles: [{
    profile: 'mixed', description: 'mixed links', halfAsymmetryMs: 0, modes, checks: checkTargets({ profile: 'mixed', halfAsymmetryMs: 0, modes }),
    load: { agentsAsked: 1_000, agentsActive: 1_000, heartbeatRateAsked: 2_000, heartbeatRateAchieved: 1_990, heartbeatsMissed: 0, operationsAsked: 36, operationsSettled: 36, reached: true },
    problems: [], truncated: false, perOperation: [{ operationId: 'h1', mode: 'hold', n: 100, signedP50: 0.5, signedMin: -1, signedMax: 3 }], samples: { hold: [0.1, 0.5, 3], none: [100, 400] },
  }],
  failed: [{ profile: 'cellular', error: 'timed out after 120000 ms waiting for 1000 active agents' }],
};
const run: LoadedRun = {
  dir: '/x/bench-results/2026-12-06T140305',
  manifest: {
    startedAt: '2026-12-06T14:03:05.000Z', quick: false, note: 'Measured on a loaded machine', machine,
    runs: [{ name: 'arrival', command: 'npx tsx test/bench/arrival-bench.ts', exitCode: 0, timedOut: false, skipped: false, durationS: 300, log: 'arrival.log' },
      { name: 'crypto', command: 'npx tsx test/bench/crypto-bench.ts', exitCode: null, timedOut: true, skipped: false, durationS: 120, log: 'crypto.log' }],
  },
  reports: [{ benchmark: 'arrival', startedAt: '2026-12-06T14:03:05.000Z', machine, results: arrival }],
  logs: { arrival: 'table', crypto: 'line 1\nraw native  1.00' },
};

describe('BENCHMARKS.md', () => {
  const md = renderBenchmarks(run, 'bench-results/2026-12-06T140305');

  it('leads with the caveat, the machine and the commands to reproduce', () => {
    expect(md).toContain('> **Measured on a loaded machine**');
    expect(md).toContain('| 2 | Test CPU | 8 GiB | v20.19.0 | nats-server: v2.10.0 | linux-x64 |');
    expect(md).toContain('npm run bench:report -- bench-results/2026-12-06T140305');
    expect(md).toContain('| crypto | `npx tsx test/bench/crypto-bench.ts` | **timed out** | 120 |');
  });

  it('says which targets were missed, by how much and why', () => {
    expect(md).toMatch(/\| mixed \| hold \| arrival \\\|error\\\| p99 \(ms\) \| <= 2 \| 3.00 \| \*\*MISSED by 1.00\*\* \| neither part alone/);
    expect(md).toMatch(/\| mixed \| hold \| naive p99 \/ hold p99 \| >= 100 \| 133 \| met \|/);
    expect(md).toContain('](arrival-errors.svg)');
    expect(md).toContain('- **cellular: not measured**: timed out after 120000 ms');
    expect(md).toContain('- mixed: 0.50 [-1.00, 3.00]');
  });

  it('keeps the console tables of the other benchmarks', () => {
    expect(md).toContain('## crypto\n\n```text\nline 1\nraw native  1.00\n```');
  });

  it('prints figures that came back from JSON as null (NaN, nothing measured) as "-"', () => {
    const check = { ...arrival.profiles[0]!.checks[0]!, actual: null, missedBy: null, met: false } as unknown as TargetCheck;
    const broken = { ...run, reports: [{ ...run.reports[0]!, results: { ...arrival, profiles: [{ ...arrival.profiles[0]!, checks: [check] }] } }] };
    expect(renderBenchmarks(broken, 'x')).toContain('| <= 2 | - | **MISSED by -** |');
  });

  it('escapes pipes inside cells', () => {
    expect(markdownTable(['a'], [['x|y']])).toBe('| a |\n| --- |\n| x\\|y |');
  });

  it('plots one panel per profile and one line per mode', () => {
    const svg = arrivalPlot(run.reports[0] as never);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('none (naive) (n=2)');
  });
});

describe('why a target was missed', () => {
  const profile = arrival.profiles[0]!;
  const check = profile.checks.find((c) => c.mode === 'hold' && c.metric === 'arrival |error| p99 (ms)')!;

  it('blames the offset estimate when its error is of the size of the arrival error', () => {
    const hold = { ...mode('hold', 3), offsetAbs: dist(2.5) };
    expect(whyMissed(check, { ...profile, modes: [hold] })).toContain('offset estimate (offset error p99 2.50 ms)');
  });

  it('blames the release timer when its own lateness is of the size of the arrival error', () => {
    const hold = { ...mode('hold', 3), timerLateness: dist(2.8), finishedAfterT: { n: 0, maxMs: 0 } };
    expect(whyMissed(check, { ...profile, modes: [hold] })).toBe('release timer late (timer lateness p99 2.80 ms, max 4.20 ms)');
  });

  it('names releases whose processing ended after T', () => {
    const hold = { ...mode('hold', 3), timerLateness: dist(0.1), finishedAfterT: { n: 4, maxMs: 61 } };
    expect(whyMissed(check, { ...profile, modes: [hold] })).toContain('4 releases whose processing ended after T, by up to 61.00 ms');
  });

  it('counts stragglers for a missed quorum', () => {
    const success = { ...check, metric: 'spec KPI: coordination success' };
    expect(whyMissed(success, { ...profile, modes: [{ ...mode('hold', 3), stragglers: 7 }] })).toBe('7 ACKs reached the lead after its deadline (stragglers)');
  });
});
