// The demo's pure parts: its command line and how a cascade's arrival errors are summed up.
import { describe, expect, it } from 'vitest';
import { trueFigures } from '../../scripts/demo/figures.js';
import { parseCommandLine } from '../../scripts/demo/options.js';

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
