// The demo's pure parts: its command line and how a cascade's arrival errors are summed up.
import { describe, expect, it } from 'vitest';
import { trueFigures } from '../../scripts/demo/figures.js';
import { roleOf, rolesLine } from '../../scripts/demo/ha-roles.js';
import { parseCommandLine } from '../../scripts/demo/options.js';
import { holdSpreadBound, outcomeText, RELEASE_LEGEND, RELEASE_NAME, spreadText } from '../../scripts/demo/release-names.js';
import { figuresLine } from '../../scripts/demo/screen.js';
import type { ModeFigures } from '../../scripts/demo/figures.js';
import { sensorBoardOf, sensorLines, type ReadingJson } from '../../scripts/demo/sensor-board.js';

describe('demo command line', () => {
  it('defaults: 300 agents, mixed links, a cascade every 3 s, until stopped', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'run', options: { agents: 300, profile: 'mixed', interval: 3, seed: 1, workers: 2 } });
  });

  it('takes every option', () => {
    const parsed = parseCommandLine(['--agents', '30', '--profile', 'cellular', '--interval', '1.5', '--duration', '20', '--seed', '7', '--workers', '0']);
    expect(parsed).toEqual({ kind: 'run', options: { agents: 30, profile: 'cellular', interval: 1.5, duration: 20, seed: 7, workers: 0 } });
  });

  it('--help, -h', () => {
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-h', '--agents', '1'])).toEqual({ kind: 'help' });
  });

  it('names the option in every error', () => {
    const error = (argv: string[]): string => {
      const parsed = parseCommandLine(argv);
      return parsed.kind === 'error' ? parsed.message : `no error: ${JSON.stringify(parsed)}`;
    };
    expect(error(['--agents', 'many'])).toMatch(/^--agents: /);
    expect(error(['--agents', '5'])).toMatch(/^--agents: .*10/);
    expect(error(['--profile', 'wan'])).toMatch(/^--profile: .*mixed/);
    expect(error(['--interval', '0'])).toMatch(/^--interval: /);
    expect(error(['--duration=-1'])).toMatch(/^--duration: /);
    expect(error(['--agents'])).toMatch(/--agents/);
    expect(error(['--colour'])).toMatch(/--colour/);
    expect(error(['300'])).toMatch(/300/);
  });
});

describe('true arrival figures', () => {
  it('percentiles of |error|, hit rate inside the window, spread and bias of the signed errors', () => {
    const f = trueFigures([-4, -1, 0, 2, 30], 5)!;
    expect(f).toMatchObject({ count: 5, p50: 2, max: 30, hitRate: 0.8, spread: 34, bias: 5.4 });
    expect(f.p99).toBeGreaterThan(f.p90);
  });

  it('null without any ready agent', () => {
    expect(trueFigures([], 25)).toBeNull();
  });
});

describe('what the screen calls things', () => {
  const figures = (over: Partial<ModeFigures>): ModeFigures => ({
    mode: 'hold', cascadeId: 'c1', status: 'SUCCESS', decidedAt: 0, ready: 3, sent: 3, others: '', windowMs: 25, leads: null,
    truth: trueFigures([-1, 0.5, 1.5], 25, [0.4, -0.8, 1]), ...over,
  });

  it('names the release modes apart from leads and degradation modes, and says naive is the baseline', () => {
    expect(Object.values(RELEASE_NAME)).toEqual(['hold', 'timed send', 'naive']);
    expect(RELEASE_LEGEND.join(' ')).toMatch(/naive = .*BASELINE/);
    expect(figuresLine(figures({ mode: 'lead' }))).toMatch(/release timed send /);
  });

  it('shows the hold spread beside its bound: twice the offset p99 error plus 2 ms', () => {
    const f = figures({});
    const bound = holdSpreadBound(f.truth)!;
    expect(bound).toBeCloseTo(2 * f.truth!.offsetP99! + 2, 9);
    expect(spreadText(f)).toBe(`2.5 ms, bound ${bound.toFixed(1)} ms: within`);
    expect(spreadText(figures({ truth: trueFigures([-9, 9], 25, [0.1]) }))).toMatch(/18\.0 ms, bound 2\.2 ms: OVER/);
    expect(spreadText(figures({ mode: 'none', truth: trueFigures([0, 300], 25) }))).toBe('300.0 ms');
  });

  it('never shows a cascade with no agent in the window as a plain SUCCESS', () => {
    expect(outcomeText(figures({ mode: 'none', truth: trueFigures([120, 300], 25) }))).toBe('SUCCESS, 0% on time');
    expect(outcomeText(figures({}))).toBe('SUCCESS');
  });
});

describe('the sensor section', () => {
  const NOW = 1_800_000_010_000;
  const reading = (agent: string, sensor: string, kind: string, value: ReadingJson['value'], agoMs: number, extra: Partial<ReadingJson> = {}): ReadingJson => ({
    agent_id: agent,
    sensor_id: sensor,
    kind,
    value,
    sampled_at: NOW - agoMs,
    ...extra,
  });

  it('sums up every sensor the leads hold and lists the most recent readings first', () => {
    const board = sensorBoardOf([
      reading('sim-1', 'relay', 'gpio.output', true, 9_000),
      reading('sim-1', 'temperature', 'command', 21.456, 500, { unit: 'C' }),
      reading('sim-2', 'relay', 'gpio.output', false, 8_000),
      reading('sim-2', 'temperature', 'command', null, 2_000, { error: 'timed out' }),
      reading('sim-3', 'relay', 'gpio.output', true, 1_000),
      reading('sim-3', 'door', 'gpio.input', true, 7_000),
    ]);
    expect(board).toMatchObject({ sensors: 6, agents: 3, relaysOn: 2, relays: 3, failing: 1 });
    const lines = sensorLines(board, NOW);
    expect(lines[0]).toBe('6 sensors on 3 agents   relays on 2/3   failed readings 1');
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).filter(Boolean))).toEqual([
      ['sim-1', 'temperature', '21.46 C', '0.5 s ago'],
      ['sim-3', 'relay', 'on', '1.0 s ago'],
      ['sim-2', 'temperature', 'failed: timed out', '2.0 s ago'],
      ['sim-3', 'door', 'active', '7.0 s ago'],
    ]);
  });

  it('says when nothing is known yet, and which leads did not answer', () => {
    expect(sensorLines(null, NOW)).toEqual(['sensors: waiting for the leads']);
    expect(sensorLines(sensorBoardOf([], ['lead-a']), NOW)).toEqual(['0 sensors on 0 agents   relays on 0/0   failed readings 0   unreachable: lead-a', '  (no readings yet)']);
  });
});

describe('demo --ha', () => {
  it('is an option of its own, with --duration', () => {
    expect(parseCommandLine(['--ha', '--duration', '30'])).toMatchObject({ kind: 'run', options: { ha: true, duration: 30 } });
  });

  it('reads each lead\'s role off its log lines, the last word winning', () => {
    const standby = roleOf('lead-b', [{ msg: 'standing by for the lease' }], null);
    const active = roleOf('lead-a', [{ msg: 'standing by for the lease' }, { msg: 'lease acquired', epoch: 18 }], null);
    const gone = roleOf('lead-c', [{ msg: 'lease acquired', epoch: 3 }], { code: 75, signal: null });
    expect([standby.role, active.role, gone.role]).toEqual(['standby', 'active', 'exited']);
    expect(rolesLine([active, standby, gone])).toBe('lead-a: ACTIVE (lease epoch 18)   lead-b: standby   lead-c: gone (exit 75)');
  });
});
