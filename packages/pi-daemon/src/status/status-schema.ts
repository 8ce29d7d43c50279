/**
 * What `GET /status` answers and `mesh-agent status` prints. The agent core fills it from its
 * live state through a provider function; the schema checks both ends.
 */
import { EpochMs, Id, SensorKind, SensorValue, SystemHealth } from '@mesh30k/shared';
import { z } from 'zod';

export const HeartbeatResult = z.enum(['ok', 'timeout', 'no_responders', 'refused', 'error']);
export type HeartbeatResult = z.infer<typeof HeartbeatResult>;

const count = z.number().int().min(0);

export const AgentStatus = z.object({
  agent_id: Id,
  lead_id: Id,
  cluster_id: Id,
  /** Daemon version (package.json). */
  version: z.string().max(64),
  /** Connected to NATS right now. */
  connected: z.boolean(),
  /** Frozen by the lead: no new work accepted. */
  frozen: z.boolean(),
  /** Seconds since the daemon started (the host's uptime is in health.uptime_s). */
  uptime_s: z.number().min(0),
  heartbeat: z.object({
    last_at: EpochMs.nullable(),
    last_result: HeartbeatResult.nullable(),
    interval_ms: z.number().int().positive(),
  }),
  clock: z.object({
    offset_ms: z.number().finite().nullable(),
    delay_ms: z.number().finite().min(0).nullable(),
    confidence: z.number().min(0).max(1).nullable(),
  }),
  outbox: z.object({
    depth: count,
    dropped: count,
    oldest_queued_at: EpochMs.nullable(),
    /** Entries the lead refused for good, kept now (`mesh-agent dead-letters` lists them), and ever. */
    dead_letters: count.default(0),
    dead_letters_total: count.default(0),
  }),
  queue: z.object({ depth: count, max_depth: count }),
  health: SystemHealth,
  /** Present when sensors are configured: the GPIO backend (and why) and each device. */
  sensors: z
    .object({
      backend: z.object({ name: z.string().max(32), reason: z.string().max(512) }).nullable(),
      devices: z.array(
        z.object({ id: z.string().max(64), kind: SensorKind, ok: z.boolean(), error: z.string().max(1024).optional(), value: SensorValue, sampled_at: EpochMs.nullable() }),
      ),
    })
    .optional(),
});
export type AgentStatus = z.infer<typeof AgentStatus>;

export const STATUS_PATH = '/status';
