/**
 * Reading a V8 `.cpuprofile` (node --cpu-prof) for one time window: self time by function and
 * inclusive time of chosen frames, as shares of the window's samples. Benchmarks cut the
 * window they measured out of a profile that covers the whole process life.
 *
 *   npx tsx test/bench/lib/cpu-profile.ts <file.cpuprofile> [--from-end-s A --to-end-s B] [--top N]
 *     [--frame name ...] (inclusive share of frames whose label contains name)
 *     [--under name]     (only samples with such a frame on their stack)
 *
 * `--from-end-s 40 --to-end-s 10`: the samples between 40 s and 10 s before the profile ended.
 */
import { readFileSync } from 'node:fs';
import { argv, stdout } from 'node:process';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Samples in the window and the ms they cover. */
  samples: number;
  windowMs: number;
  /** Share of the window's samples not idle (program, GC and code). */
  busyShare: number;
  /** [name, share of busy samples], largest first. */
  self: [string, number][];
  /** Inclusive share of busy samples of frames whose name contains each needle. */
  inclusive: Record<string, number>;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^file:\/\//, '');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/** Summarises the samples taken between `fromEndMs` and `toEndMs` before the profile's end. */
export function summarizeProfile(profile: CpuProfile, options: { fromEndMs?: number; toEndMs?: number; top?: number; needles?: readonly string[]; under?: string } = {}): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const fromUs = options.fromEndMs === undefined ? Number.NEGATIVE_INFINITY : profile.endTime - options.fromEndMs * 1000;
  const toUs = options.toEndMs === undefined ? Number.POSITIVE_INFINITY : profile.endTime - options.toEndMs * 1000;
  const self = new Map<string, number>();
  const needles = options.needles ?? [];
  const inclusive: Record<string, number> = Object.fromEntries(needles.map((k) => [k, 0]));
  let t = profile.startTime;
  let samples = 0;
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    samples++;
    const node = byId.get(profile.samples[i]!);
    if (node === undefined) continue;
    if (node.callFrame.functionName === '(idle)') continue;
    if (options.under !== undefined) {
      let inside = false;
      for (let id: number | undefined = node.id; id !== undefined && !inside; id = parent.get(id)) inside = label(byId.get(id)!).includes(options.under);
      if (!inside) continue;
    }
    busy++;
    const name = label(node);
    self.set(name, (self.get(name) ?? 0) + 1);
    if (needles.length === 0) continue;
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!;
      const text = label(frame);
      for (const k of needles) if (!seen.has(k) && text.includes(k)) seen.add(k);
    }
    for (const k of seen) inclusive[k]! += 1;
  }
  const windowMs = Math.min(toUs, profile.endTime) / 1000 - Math.max(fromUs, profile.startTime) / 1000;
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, options.top ?? 40).map(([k, v]): [string, number] => [k, v / Math.max(1, busy)]);
  for (const k of needles) inclusive[k] = inclusive[k]! / Math.max(1, busy);
  return { samples, windowMs, busyShare: busy / Math.max(1, samples), self: top, inclusive };
}

if (import.meta.url === `file://${argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'from-end-s': { type: 'string' }, 'to-end-s': { type: 'string' }, top: { type: 'string', default: '40' }, frame: { type: 'string', multiple: true, default: [] }, under: { type: 'string' } },
  });
  const file = positionals[0];
  if (file === undefined) throw new Error('usage: cpu-profile.ts <file.cpuprofile> [--from-end-s A --to-end-s B] [--top N] [--frame name ...]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const s = summarizeProfile(profile, {
    ...(values['from-end-s'] === undefined ? {} : { fromEndMs: Number(values['from-end-s']) * 1000 }),
    ...(values['to-end-s'] === undefined ? {} : { toEndMs: Number(values['to-end-s']) * 1000 }),
    top: Number(values.top),
    needles: values.frame,
    ...(values.under === undefined ? {} : { under: values.under }),
  });
  stdout.write(`${s.samples} samples over ${(s.windowMs / 1000).toFixed(1)} s, ${(s.busyShare * 100).toFixed(1)}% busy\n\nself (share of busy samples):\n`);
  for (const [name, share] of s.self) stdout.write(`${(share * 100).toFixed(1).padStart(6)}%  ${name}\n`);
  if (Object.keys(s.inclusive).length > 0) {
    stdout.write('\ninclusive (share of busy samples):\n');
    for (const [k, share] of Object.entries(s.inclusive)) stdout.write(`${(share * 100).toFixed(1).padStart(6)}%  ${k}\n`);
  }
}
