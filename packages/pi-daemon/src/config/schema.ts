/**
 * The daemon's configuration: one schema, a default per key, types inferred from it. Objects
 * are strict, so a misspelt key is refused instead of silently ignored. Environment overrides
 * are derived from this schema (see env.ts); the README lists every key, its variable and
 * its default.
 */
import { AgentClass, Capabilities, Id, PublicKeyText } from '@mesh30k/shared';
import { z } from 'zod';
import { SensorsConfig } from '../sensors/config.js';

export const DEFAULT_CONFIG_PATH = '/etc/mesh30k/agent.json';
export const DEFAULT_DATA_DIR = '/var/lib/mesh30k';
export const DEFAULT_KEY_PATH = '/var/lib/mesh30k/agent.key';
export const DEFAULT_NATS_SERVER = 'nats://127.0.0.1:4222';
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
export const DEFAULT_HEARTBEAT_JITTER = 0.1;
export const DEFAULT_NATS_PING_INTERVAL_MS = 10_000;
export const DEFAULT_NATS_MAX_PINGS_OUT = 3;
export const DEFAULT_STATUS_HOST = '127.0.0.1';
export const DEFAULT_STATUS_PORT = 7431;
export const DEFAULT_OUTBOX_MAX_ENTRIES = 10_000;
/** Dead letters (entries the lead refused for good) kept for the operator: this many, this long. */
export const DEFAULT_DEAD_LETTER_MAX_ENTRIES = 1_000;
export const DEFAULT_DEAD_LETTER_MAX_AGE_MS = 7 * 86_400_000;
export const DEFAULT_OUTBOX_REPLAY_RATE_PER_S = 20;
export const DEFAULT_QUEUE_MAX_DEPTH = 256;
export const DEFAULT_HEALTH_INTERVAL_MS = 15_000;
export const DEFAULT_HEALTH_METRIC_TIMEOUT_MS = 2_000;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const NATS_URL_PROTOCOLS = new Set(['nats:', 'tls:']);
const MAX_PORT = 65_535;
const MIN_HEARTBEAT_MS = 100;
const MAX_HEARTBEAT_MS = 600_000;
const MAX_JITTER = 0.5;

function isNatsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return NATS_URL_PROTOCOLS.has(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

const NatsUrl = z.string().refine(isNatsUrl, 'must be a nats:// or tls:// URL');
const FilePath = z.string().min(1, 'must not be empty');
const Millis = (min: number, max: number) => z.number().int().min(min).max(max);

/** Server verification against ca_file; cert_file and key_file add a client certificate (mutual TLS). */
const TlsConfig = z
  .strictObject({
    ca_file: FilePath,
    cert_file: FilePath.optional(),
    key_file: FilePath.optional(),
  })
  .superRefine((tls, ctx) => {
    if ((tls.cert_file === undefined) !== (tls.key_file === undefined)) {
      const missing = tls.cert_file === undefined ? 'cert_file' : 'key_file';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'cert_file and key_file must be set together' });
    }
  });

const NatsConfig = z
  .strictObject({
    servers: z.array(NatsUrl).min(1, 'must list at least one server').default([DEFAULT_NATS_SERVER]),
    tls: TlsConfig.optional(),
    credentials_file: FilePath.optional(),
    /** This agent's NATS nkey seed (SU...), as `mesh-lead nats-user add` writes it. */
    nkey_seed_file: FilePath.optional(),
    user: z.string().min(1).optional(),
    pass: z.string().min(1).optional(),
    ping_interval_ms: Millis(1_000, 300_000).default(DEFAULT_NATS_PING_INTERVAL_MS),
    max_pings_out: z.number().int().min(1).max(20).default(DEFAULT_NATS_MAX_PINGS_OUT),
  })
  .superRefine((nats, ctx) => {
    if ((nats.user === undefined) !== (nats.pass === undefined)) {
      const missing = nats.user === undefined ? 'user' : 'pass';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'user and pass must be set together' });
    }
    const ways = [nats.credentials_file, nats.nkey_seed_file, nats.user].filter((way) => way !== undefined).length;
    if (ways > 1) {
      const path = nats.nkey_seed_file === undefined ? 'credentials_file' : 'nkey_seed_file';
      ctx.addIssue({ code: 'custom', path: [path], message: 'use one of credentials_file, nkey_seed_file or user/pass' });
    }
  });

const StatusConfig = z.strictObject({
  host: z.string().min(1).default(DEFAULT_STATUS_HOST),
  port: z.number().int().min(0).max(MAX_PORT).default(DEFAULT_STATUS_PORT),
});

const OutboxConfig = z.strictObject({
  max_entries: z.number().int().min(1).max(10_000_000).default(DEFAULT_OUTBOX_MAX_ENTRIES),
  replay_rate_per_s: z.number().positive().max(10_000).default(DEFAULT_OUTBOX_REPLAY_RATE_PER_S),
  dead_letter_max_entries: z.number().int().min(1).max(1_000_000).default(DEFAULT_DEAD_LETTER_MAX_ENTRIES),
  dead_letter_max_age_ms: Millis(60_000, 365 * 86_400_000).default(DEFAULT_DEAD_LETTER_MAX_AGE_MS),
});

const QueueConfig = z.strictObject({
  max_depth: z.number().int().min(1).max(100_000).default(DEFAULT_QUEUE_MAX_DEPTH),
});

const HeartbeatConfig = z.strictObject({
  /**
   * How heartbeats are authenticated (docs/adr/0004): `session` opens an Ed25519-rooted session
   * with the lead and tags beats with HMAC-SHA256 (signing them until a session is open);
   * `ed25519` signs every beat.
   */
  auth: z.enum(['session', 'ed25519']).default('session'),
});

const HealthConfig = z.strictObject({
  interval_ms: Millis(1_000, 3_600_000).default(DEFAULT_HEALTH_INTERVAL_MS),
  metric_timeout_ms: Millis(100, 60_000).default(DEFAULT_HEALTH_METRIC_TIMEOUT_MS),
});

export const AgentConfigSchema = z
  .strictObject({
    agent_id: Id,
    class: AgentClass.default('E'),
    capabilities: Capabilities.default([]),
    cluster_id: Id,
    sector_id: Id.optional(),
    /** The lead whose subjects this agent uses (heartbeat, ack, control). */
    lead_id: Id,
    /** The lead's public key, pinned; or trust_roots, to accept any lead the mesh root enrolled. */
    lead_public_key: PublicKeyText.optional(),
    /**
     * More pinned keys for the same lead id: each lead process of an HA group has its own key,
     * and an agent that pins keys needs all of them (or trust_roots, which learns them).
     */
    lead_public_keys: z.array(PublicKeyText).min(1).max(8).optional(),
    /** Public keys of the mesh root(s) that sign enrollments. */
    trust_roots: z.array(PublicKeyText).max(16).optional(),
    nats: NatsConfig.prefault({}),
    key_path: FilePath.default(DEFAULT_KEY_PATH),
    data_dir: FilePath.default(DEFAULT_DATA_DIR),
    heartbeat_interval_ms: Millis(MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS).default(DEFAULT_HEARTBEAT_INTERVAL_MS),
    /** Each interval is drawn from interval x (1 +/- jitter), so a fleet does not beat in step. */
    heartbeat_jitter: z.number().min(0).max(MAX_JITTER).default(DEFAULT_HEARTBEAT_JITTER),
    heartbeat: HeartbeatConfig.prefault({}),
    status: StatusConfig.prefault({}),
    outbox: OutboxConfig.prefault({}),
    queue: QueueConfig.prefault({}),
    health: HealthConfig.prefault({}),
    /** Field sensors and actuators (docs/sensors.md). */
    sensors: SensorsConfig.prefault({}),
    log_level: z.enum(LOG_LEVELS).default('info'),
  })
  .superRefine((config, ctx) => {
    if (config.lead_public_key === undefined && config.lead_public_keys === undefined && (config.trust_roots ?? []).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['lead_public_key'], message: 'set lead_public_key (or lead_public_keys) or trust_roots, or the agent trusts no lead' });
    }
  });

type Frozen<T> = T extends readonly (infer E)[]
  ? readonly Frozen<E>[]
  : T extends object
    ? { readonly [K in keyof T]: Frozen<T[K]> }
    : T;

/** The validated configuration; deeply read-only, as loadConfig freezes it. */
export type AgentConfig = Frozen<z.output<typeof AgentConfigSchema>>;
export type LogLevel = (typeof LOG_LEVELS)[number];
