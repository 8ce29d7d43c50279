// The soak's options (flags and SOAK_* variables, checked with zod) and its timeline: a
// warm-up that is not measured, then a baseline window with no faults, a window in which the
// faults are injected on a schedule, and a quiet tail in which the mesh must have recovered.
import { z } from 'zod';

const PositiveInt = (name: string, min: number, max: number) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be a whole number`).min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`);

const SoakInput = z.object({
  durationS: PositiveInt('duration (--duration, SOAK_DURATION_S)', 60, 24 * 3600),
  agents: PositiveInt('SOAK_AGENTS', 10, 5_000),
  opIntervalS: PositiveInt('SOAK_OP_INTERVAL_S', 1, 60),
  heartbeatMs: PositiveInt('SOAK_HEARTBEAT_MS', 200, 10_000),
  outageS: PositiveInt('SOAK_OUTAGE_S', 2, 120),
  leadDownS: PositiveInt('SOAK_LEAD_DOWN_S', 1, 120),
  floodFrames: PositiveInt('SOAK_FLOOD_FRAMES', 0, 1_000_000),
  floodApiCalls: PositiveInt('SOAK_FLOOD_API_CALLS', 0, 100_000),
});

export interface SoakOptions extends z.infer<typeof SoakInput> {
  quick: boolean;
  /** Seconds after every agent is active that are not measured (JIT, clock filters, first beats). */
  warmupS: number;
}

/** `--quick` is about 2 minutes of measurement; the full soak 10. A variable set by the caller wins. */
export function soakOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): SoakOptions {
  const quick = argv.includes('--quick');
  const at = argv.indexOf('--duration');
  const flagDuration = at >= 0 ? argv[at + 1] : undefined;
  const parsed = SoakInput.safeParse({
    durationS: flagDuration ?? env.SOAK_DURATION_S ?? (quick ? 120 : 600),
    agents: env.SOAK_AGENTS ?? (quick ? 200 : 300),
    opIntervalS: env.SOAK_OP_INTERVAL_S ?? 4,
    heartbeatMs: env.SOAK_HEARTBEAT_MS ?? 2_000,
    outageS: env.SOAK_OUTAGE_S ?? 8,
    leadDownS: env.SOAK_LEAD_DOWN_S ?? 3,
    floodFrames: env.SOAK_FLOOD_FRAMES ?? (quick ? 2_000 : 6_000),
    floodApiCalls: env.SOAK_FLOOD_API_CALLS ?? (quick ? 300 : 1_000),
  });
  if (!parsed.success) throw new Error(`soak options: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return { ...parsed.data, quick, warmupS: quick ? 15 : 30 };
}

export type PhaseName = 'baseline' | 'faults' | 'tail';
export type FaultKind = 'flood' | 'nats-outage+agent-kill' | 'lead-kill';

export interface Phase {
  name: PhaseName;
  /** Seconds from the start of the measured period. */
  fromS: number;
  toS: number;
}

export interface FaultSlot {
  kind: FaultKind;
  /** Seconds from the start of the measured period; a fault starts no earlier (later if the previous one is still recovering). */
  atS: number;
}

export interface Timeline {
  phases: Phase[];
  faults: FaultSlot[];
}

/**
 * Baseline: the first 20% (no faults, the same operations and heartbeats: what the fault window
 * is compared with). Faults: 20-85%, in this order. Tail: the last 15%, quiet again.
 */
export function soakTimeline(durationS: number): Timeline {
  const at = (share: number): number => Math.round(durationS * share);
  return {
    phases: [
      { name: 'baseline', fromS: 0, toS: at(0.2) },
      { name: 'faults', fromS: at(0.2), toS: at(0.85) },
      { name: 'tail', fromS: at(0.85), toS: durationS },
    ],
    faults: [
      { kind: 'flood', atS: at(0.22) },
      { kind: 'nats-outage+agent-kill', atS: at(0.35) },
      { kind: 'lead-kill', atS: at(0.55) },
      { kind: 'flood', atS: at(0.72) },
    ],
  };
}

export function phaseAt(timeline: Timeline, seconds: number): PhaseName | null {
  return timeline.phases.find((p) => seconds >= p.fromS && seconds < p.toS)?.name ?? null;
}
