import { AgentClass, Capabilities, Id } from '@mesh30k/shared';
import { z } from 'zod';

const Range = (min: number, max: number, defaults: { min: number; max: number }) =>
  z
    .strictObject({ min: z.number().min(min).max(max), max: z.number().min(min).max(max) })
    .refine((r) => r.min <= r.max, { message: 'min must not exceed max', path: ['max'] })
    .default(defaults);

const Fraction = z.number().min(0).max(1);

/** One direction of an emulated link (the model is @mesh30k/shared's link-model). */
const LinkDirectionSpec = z.strictObject({
  baseMs: z.number().min(0).max(600_000),
  jitterMs: z.number().min(0).max(600_000).optional(),
  jitter: z.enum(['uniform', 'heavy-tail']).optional(),
  lossRate: Fraction.optional(),
  retransmitMs: z.number().min(0).max(600_000).optional(),
});

/**
 * A simulated fleet: how many virtual agents, what they are, and how they misbehave. Every
 * per-agent value is drawn from the seeded generator, so one spec and seed is one fleet.
 */
export const SimSpec = z.strictObject({
  lead_id: Id,
  cluster_id: Id.default('sim-cluster'),
  sector_id: Id.default('sim-sector'),
  count: z.number().int().min(1).max(100_000),
  /** Agent ids are `<prefix>-<n>`. */
  id_prefix: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/).default('sim'),
  seed: z.number().int().min(0).max(0xffffffff).default(1),
  /** Relative weights of the impedance classes. */
  classes: z.partialRecord(AgentClass, z.number().min(0)).default({ E: 1 }),
  capabilities: Capabilities.default(['sensor.read']),
  processing: z
    .strictObject({
      /** Median processing time; by default the class's base time. */
      median_ms: z.number().min(0).max(600_000).optional(),
      /** Shape of the log-normal processing time (0: always the median), independent scenario. */
      spread: z.number().min(0).max(3).default(0.25),
      /** independent: a fresh draw per operation; realistic: stable per-agent factor, noise, spikes (processing-model.ts). */
      scenario: z.enum(['independent', 'realistic']).default('independent'),
      realistic: z
        .strictObject({
          agent_spread: z.number().min(0).max(3).default(0.3),
          noise: z.number().min(0).max(3).default(0.05),
          spike_rate: Fraction.default(0.02),
          spike_factor: Range(1, 1_000, { min: 2, max: 4 }),
        })
        .prefault({}),
    })
    .prefault({}),
  clock: z
    .strictObject({
      offset_ms: Range(-1e9, 1e9, { min: -2_000, max: 2_000 }),
      drift_ppm: Range(-500, 500, { min: -50, max: 50 }),
    })
    .prefault({}),
  heartbeat_interval_ms: z.number().int().min(100).max(600_000).default(5_000),
  heartbeat_jitter: z.number().min(0).max(0.5).default(0.1),
  /** How virtual agents authenticate heartbeats, as a real agent's heartbeat.auth (docs/adr/0004). */
  heartbeat_auth: z.enum(['session', 'ed25519']).default('session'),
  /**
   * Agents start at random moments over this window (ms) instead of all at once, as a fleet
   * powered up together boots over a while; 0: all at once.
   */
  boot_spread_ms: z.number().int().min(0).max(3_600_000).default(0),
  /** Fast initial beats until this many clock samples; 0 in large fleets to avoid a burst. */
  burst_samples: z.number().int().min(0).max(16).default(0),
  queue_capacity: z.number().int().min(1).max(10_000).default(16),
  /** Samples each profiler keeps: small, to keep per-agent memory low. */
  sample_capacity: z.number().int().min(8).max(1_000).default(32),
  outbox_max_entries: z.number().int().min(1).max(1_000_000).default(1_000),
  /**
   * Every agent gets a virtual relay (output `relay`, driven by `act`; agents also hold
   * `act:relay`) and a temperature read every `interval_ms`. Off by default: benchmarks
   * measure coordination without sensor traffic.
   */
  virtual_sensors: z
    .strictObject({ interval_ms: z.number().int().min(1_000).max(3_600_000).default(10_000) })
    .optional(),
  /**
   * Every virtual agent gets its own emulated link to NATS with these delays: its own FIFO and
   * random stream per direction, as a real Pi has its own path. Absent: the agents use the
   * process's connection as it is (behind a shared "gateway" link, when there is one).
   */
  link: z.strictObject({ up: LinkDirectionSpec, down: LinkDirectionSpec }).optional(),
  faults: z
    .strictObject({
      /** Share of agents that crash (stop heartbeating and answering) at some point. */
      crash: Fraction.default(0),
      crash_after_ms: Range(0, 86_400_000, { min: 10_000, max: 60_000 }),
      /** Share of agents whose handlers never finish. */
      stall: Fraction.default(0),
      /** Share of agents that are slow, and by how much. */
      slow: Fraction.default(0),
      slow_factor: z.number().min(1).max(1_000).default(3),
      /** Chance that any operation ends in a DATA_CONTRADICTION conflict. */
      conflict_rate: Fraction.default(0),
    })
    .prefault({}),
});
export type SimSpecInput = z.input<typeof SimSpec>;
export type SimSpec = z.output<typeof SimSpec>;
