import { HARDWARE_THRESHOLDS, Id, MODE_THRESHOLDS, PublicKeyText, SPIKE_FACTOR, DEGRADED_SCORE_THRESHOLD, UNSTABLE_DRIFT_THRESHOLD } from '@mesh30k/shared';
import { z } from 'zod';
import { CASCADE_SLACK_MS, CHILD_GATHER_MS, CHILD_HANDLING_MS, REPORT_GRACE_MS, REQUEST_TIMEOUT_MS, SUMMARY_INTERVAL_MS, SUMMARY_STALE_INTERVALS } from '../cascade/options.js';
import { DEFAULT_HISTORY_SAMPLES } from '../registry/agent-history.js';
import { DEFAULT_SENSOR_STALE_AFTER_MS } from '../sensors/sensor-health.js';
import { DEFAULT_HISTORY_PER_SENSOR } from '../store/sensor-readings.js';

/**
 * The lead's whole configuration: one schema, types inferred from it, defaults beside each
 * key. File values come first, then MESH_LEAD_* environment variables derived from this same
 * schema (see env.ts). Nested sections use `prefault({})` so their own defaults apply when the
 * section is absent.
 */
const ms = (fallback: number) => z.number().int().min(1).max(86_400_000).default(fallback);
const share = (fallback: number) => z.number().min(0).max(1).default(fallback);
const count = (fallback: number, min = 1) => z.number().int().min(min).max(1_000_000).default(fallback);
const path = z.string().min(1).max(4096);

const Nats = z
  .strictObject({
  servers: z.array(z.string().min(1).max(512)).min(1),
  /** Client name shown by the server's monitoring; defaults to mesh-lead-<lead_id>. */
  name: z.string().min(1).max(128).optional(),
  tls: z
    .strictObject({ ca_file: path.optional(), cert_file: path.optional(), key_file: path.optional() })
    .optional(),
  /** A NATS .creds file (JWT and nkey seed). */
  credentials_file: path.optional(),
  /** The lead's NATS nkey seed (SU...), as `mesh-lead nats-user add-lead` writes it; see docs/deploy.md. */
  nkey_seed_file: path.optional(),
  /** Wait between attempts while no server can be reached (the lead serves its API meanwhile). */
  reconnect_wait_ms: ms(2_000),
  })
  .refine((nats) => nats.credentials_file === undefined || nats.nkey_seed_file === undefined, {
    path: ['nkey_seed_file'],
    message: 'use either credentials_file or nkey_seed_file, not both',
  });

const Trust = z.strictObject({
  /** Mesh root public keys (base64url): enrollments signed by any of them are accepted. */
  root_public_keys: z.array(PublicKeyText).min(1),
  /** A JSON file of signed enrollments, or a directory of such files. */
  enrollments: path.optional(),
  /**
   * The mesh root's private key file, only when this lead may sign enrollments itself
   * (`mesh enroll accept` then needs no key on the operator's side). Leave it out to keep the
   * root offline: the console signs with the operator's copy instead.
   */
  root_key_path: path.optional(),
  /** This lead's own enrollment (role lead), signed by a mesh root: agents that pin only the root learn the lead's key from it. */
  lead_enrollment: path.optional(),
});

const Http = z.strictObject({
  host: z.string().min(1).max(255).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8470),
  /**
   * The API's certificate and key (PEM); `mesh-lead init` makes a self-signed pair. Required
   * unless allow_plain_http: bearer tokens and signed requests must not cross a network in clear.
   */
  tls: z.strictObject({ cert_path: path, key_path: path }).optional(),
  /** Serve plain HTTP instead: only without tls, and only on a loopback host (tests, a lead behind a local proxy). */
  allow_plain_http: z.boolean().default(false),
});

const Heartbeat = z.strictObject({
  /** Interval the lead asks agents to keep; an agent's observed interval may be longer. */
  interval_ms: ms(5_000),
  /** Missed beats after which an agent is probed and, unless it answers, declared offline. */
  missed_for_offline: count(3),
  /** Silence after which an offline agent is reported as crashed (spec 6.1 AGENT_CRASH). */
  crash_after_ms: ms(30_000),
  /**
   * How heartbeats and their replies are authenticated (docs/adr/0004): `session` opens an
   * Ed25519-rooted session per agent and tags beats with HMAC-SHA256 under its keys (signed
   * heartbeats are still accepted); `ed25519` signs and verifies every beat and reply.
   */
  auth: z.enum(['session', 'ed25519']).default('session'),
  /** Lifetime of a heartbeat session before the agent must open another (each drawn +/- 10%). */
  session_lifetime_ms: ms(3_600_000),
  /**
   * Session handshakes in progress at which new ones are shed (OVERLOADED with retry_after_ms
   * = handshake_retry_after_ms): a handshake costs several heartbeats' CPU, and a fleet
   * re-handshakes at once after a lead restart. Counted apart from the verify backlog (which
   * sheds them too, at ingest.shed_backlog): a handshake burst is turned away before it has
   * queued seconds of work that would time out at the agents. Each agent turned away is given
   * the next free slot at the rate the lead has been opening sessions (handshake-pacer.ts), at
   * least 250 ms and at most handshake_retry_after_ms; it waits retry_after_ms x (0.5-1.5) and
   * tries again, so the fleet comes back at the pace the lead takes it.
   */
  handshake_shed_backlog: count(128),
  handshake_retry_after_ms: ms(10_000),
});

const Registry = z.strictObject({
  /** The one timer that checks every agent's deadline. */
  sweep_interval_ms: ms(1_000),
  /** Largest share of a cluster quarantined at once (at least one agent may always be). */
  quarantine_max_share: share(0.1),
  /** Below this share of routable agents, selection stops filtering on health (panic mode). */
  panic_below_healthy: share(0.5),
  probe_timeout_ms: ms(1_000),
  probe_max_in_flight: count(256),
  /**
   * Impedance score, clock offset and error bound kept per agent for its dashboard page, at most
   * one per heartbeat interval, in memory only: 16 bytes each per agent (120: 58 MB at 30,000
   * agents); 0 keeps none.
   */
  history_samples: z.number().int().min(0).max(1_000).default(DEFAULT_HISTORY_SAMPLES),
});

const Guard = z.strictObject({
  /** After a start (and after NATS comes back) deadlines are widened for this long. */
  restart_grace_ms: ms(30_000),
  /** How much deadlines widen while a guard is active. */
  timeout_factor: z.number().min(1).max(100).default(2),
  /** Event-loop delay above which the lead distrusts its own timers. */
  lag_threshold_ms: ms(200),
  /** How long deadlines stay widened after the last lag above the threshold. */
  lag_grace_ms: ms(30_000),
  /**
   * Heartbeats and handshakes waiting for verification at which the lead counts itself as the
   * slow part, as for lag: deadlines widen, agents' latency swings are not held against them.
   */
  backlog_threshold: count(1_000),
});

const Ingest = z.strictObject({
  /** Worker threads verifying signatures; 0 verifies on the main thread. */
  verify_threads: z.number().int().min(0).max(64).default(2),
  /** Heartbeats per postMessage to a verify worker. */
  batch_max: count(64),
  /** How long a heartbeat waits for others to fill its verify batch, ms (0: one event-loop turn). */
  flush_ms: z.number().min(0).max(50).default(5),
  /** Heartbeats waiting for verification beyond which new ones are refused as OVERLOADED. */
  queue_max: count(20_000),
  /**
   * Heartbeats waiting for verification at which new ones are shed: answered OVERLOADED with
   * retry_after_ms (shed_retry_after_ms) at once, unverified, instead of queueing for replies
   * that would come too late.
   */
  shed_backlog: count(3_000),
  shed_retry_after_ms: ms(5_000),
  /**
   * A frame that waited this long for a verify worker is refused OVERLOADED unverified: the
   * agent has stopped waiting (a beat times out at 2 s), and verifying it anyway would make
   * every frame behind it late as well (issue 15: at start-up of 20,000 agents every reply came
   * too late and no agent got a session). Session handshakes are verified first. The same
   * bound applies to any heartbeat (tagged ones too) read off the socket but not yet handled
   * (the lead's intake queue): a lead behind its input sheds it with retry_after_ms and keeps
   * its session, rather than answering it after its agent gave up.
   */
  verify_max_wait_ms: ms(1_000),
  replay_ttl_ms: ms(10_000),
  replay_skew_ms: ms(2_000),
  replay_max_entries: count(150_000),
  /**
   * Answers to refused heartbeats: per claimed signer id (burst, then per second) and for the
   * whole lead per second. Beyond these a refused frame gets no answer (limit heartbeat_refusal_rate).
   */
  refusals: z
    .strictObject({
      per_signer_burst: count(5),
      per_signer_per_s: z.number().gt(0).max(1_000).default(1),
      total_per_s: count(1_000),
    })
    .prefault({}),
});

const Store = z.strictObject({
  /** Registry snapshot period: changed agents are written in batches on this one timer. */
  snapshot_interval_ms: ms(30_000),
  /** Most agents per transaction. */
  batch_size: count(500),
  /** Agents whose heartbeats changed only last-seen numbers are written at most this often. */
  last_seen_interval_ms: ms(300_000),
  /** Longest a snapshot pass holds the event loop before it yields a turn. */
  slice_ms: z.number().min(0).max(100).default(4),
  busy_timeout_ms: ms(5_000),
  /**
   * Where the lead's shared state lives beside its SQLite file: `sqlite` keeps it local (one
   * lead); `jetstream` mirrors it into JetStream KV so a standby lead on another host follows it
   * (src/replication, docs/adr/0010-jetstream-replication.md), operations and their ACKs included
   * (src/replication/operations).
   */
  backend: z.enum(['sqlite', 'jetstream']).default('sqlite'),
  jetstream: z
    .strictObject({
      /** Copies of each bucket and stream in the NATS cluster: 3 on a three-node cluster, 1 on a single server. */
      replicas: z.number().int().min(1).max(5).default(3),
      /** Bucket names are `<prefix>_<cluster_id>_<kind>`. */
      prefix: z
        .string()
        .regex(/^[-_a-zA-Z0-9]{1,32}$/, 'a KV bucket name part: 1-32 letters, digits, - and _')
        .default('mesh'),
      /**
       * With this backend the registry snapshot runs at least this often, whatever
       * snapshot_interval_ms says: it is how soon a newly registered agent, or one whose state
       * changed, reaches KV and so a standby. A standby that takes over knows nothing of an agent
       * registered after the last pass until its next heartbeat.
       */
      registry_interval_ms: ms(2_000),
    })
    .prefault({}),
});

const ModeThresholds = z.strictObject({
  full: share(MODE_THRESHOLDS.FULL),
  degraded_light: share(MODE_THRESHOLDS.DEGRADED_LIGHT),
  degraded_moderate: share(MODE_THRESHOLDS.DEGRADED_MODERATE),
  degraded_severe: share(MODE_THRESHOLDS.DEGRADED_SEVERE),
});

/** When an agent's own health block makes it degraded (shared's assessHardware). */
const HardwareThresholds = z.strictObject({
  hot_above_c: z.number().min(-40).max(125).default(HARDWARE_THRESHOLDS.hotAboveC),
  degrade_on_under_voltage: z.boolean().default(HARDWARE_THRESHOLDS.degradeOnUnderVoltage),
  degrade_on_throttled: z.boolean().default(HARDWARE_THRESHOLDS.degradeOnThrottled),
  degrade_on_hot: z.boolean().default(HARDWARE_THRESHOLDS.degradeOnHot),
});

const Thresholds = z.strictObject({
  degraded_score: z.number().min(0).max(1000).default(DEGRADED_SCORE_THRESHOLD),
  unstable_drift: z.number().min(0).max(100).default(UNSTABLE_DRIFT_THRESHOLD),
  spike_factor: z.number().gt(0).max(100).default(SPIKE_FACTOR),
  mode: ModeThresholds.prefault({}),
  hardware: HardwareThresholds.prefault({}),
});

const Scatter = z.strictObject({
  /** Operations sending and gathering at once; more wait in the admission queue. */
  max_in_flight: count(4),
  /** Operations that may wait; beyond this new ones are refused as SATURATED. */
  max_queued: count(64, 0),
  /** A queued operation gains one priority level per this much waiting. */
  aging_step_ms: ms(2_000),
  max_queue_wait_ms: ms(30_000),
  /** Hold mode: how far ahead of T the group message leaves beyond the slowest member's need. */
  hold_margin_ms: z.number().min(0).max(60_000).default(10),
  /** Allowance for an ACK's trip back and its verification. */
  ack_return_slack_ms: z.number().min(0).max(60_000).default(25),
  /**
   * At its deadline an operation still counts the ACKs that had reached the lead and were being
   * verified (a busy lead's queue), waiting at most this long for them; later ones are late ACKs.
   */
  ack_backlog_max_ms: z.number().min(0).max(60_000).default(5_000),
  /**
   * An operation resumed after the lead was killed takes ACKs (redelivered from the agents'
   * outboxes) until at least this long after the restart, even if its deadline has passed.
   */
  resume_grace_ms: z.number().min(0).max(600_000).default(10_000),
  /** Publish attempts per COORDINATE before the send is dead-lettered. */
  send_attempts: count(3),
});

const Breakers = z.strictObject({
  /** Shadow mode: breakers record what they would do (breaker.would-*) and never block. */
  metrics_only: z.boolean().default(false),
  /** A cluster breaker opens above this many failures (no ACK, refusal) in the window. */
  cluster_trip_above: count(5, 0),
  /** A sector breaker opens above this many failures, summed over its clusters. */
  sector_trip_above: count(50, 0),
  failure_window_ms: ms(60_000),
  /** Wait after opening before the first probe. */
  open_duration_ms: ms(30_000),
  /** Wait after a failed probe (grows by 2x per failure, up to 10 minutes). */
  reprobe_ms: ms(60_000),
  /** Half-open: how long trial traffic is watched before the breaker closes. */
  half_open_observation_ms: ms(60_000),
  /** Agents admitted while half-open. */
  half_open_max_trials: count(10),
  /** How often due probes and half-open observations are checked. */
  check_interval_ms: ms(1_000),
});

const Conflicts = z.strictObject({
  /** Conflicts of this priority and up are escalated to the parent lead (when there is one). */
  escalate_at: z.number().int().min(0).max(5).default(3),
  /** How long the parent has to confirm an escalated conflict before it is dead-lettered. */
  escalation_timeout_ms: ms(2_000),
  /** CONFLICT reports one agent may send: a burst, then per second; beyond, refused RATE_LIMITED (the agent retries later). */
  rate_limit: z.strictObject({ burst: count(20), per_second: z.number().gt(0).max(10_000).default(2) }).prefault({}),
  /** The conflict log keeps at most max_rows rows and none older than max_age_ms; pruned every interval_ms, batch rows at a time. */
  retention: z
    .strictObject({
      max_rows: count(100_000),
      max_age_ms: z.number().int().min(60_000).max(10 * 365 * 86_400_000).default(30 * 86_400_000),
      interval_ms: ms(60_000),
      batch: count(500),
    })
    .prefault({}),
});

const DAY_MS = 86_400_000;

/** Field sensor readings (src/sensors, src/store/sensor-readings.ts). */
/** Sensor value series in /metrics, at most (sensors.metrics_max_series). */
const DEFAULT_SENSOR_METRICS_MAX_SERIES = 1_000;

const Sensors = z.strictObject({
  /**
   * Readings kept per (agent, sensor) in the history; each new one beyond this deletes the
   * oldest. 1,000 rows of a 64-sensor agent are about 6 MB of SQLite per agent.
   */
  history_per_sensor: z.number().int().min(1).max(100_000).default(DEFAULT_HISTORY_PER_SENSOR),
  /**
   * A periodic sensor (1-Wire, command) whose last reading, as the agent's heartbeat reports it,
   * is older than this is flagged stale in GET /v1/agents/:id/sensors. Inputs and outputs
   * report on change only and are never stale.
   */
  stale_after_ms: z.number().int().min(1_000).max(7 * 86_400_000).default(DEFAULT_SENSOR_STALE_AFTER_MS),
  /**
   * Latest sensor values exported in /metrics as mesh_lead_sensor_value, one series each, at
   * most this many (the rest are counted in mesh_lead_sensor_values_omitted): a fleet's worth
   * of series would swamp a Prometheus; raise it for a small site, 0 to export none.
   */
  metrics_max_series: z.number().int().min(0).max(100_000).default(DEFAULT_SENSOR_METRICS_MAX_SERIES),
});

/** The lead's dead letters (src/dead-letters): what is kept, oldest deleted first. */
const DeadLetters = z.strictObject({
  /** Letters kept at most; each new one beyond this deletes the oldest. */
  max_rows: count(10_000),
  /** Letters older than this are deleted. */
  max_age_ms: z.number().int().min(60_000).max(366 * DAY_MS).default(7 * DAY_MS),
  /** How often the age limit is applied. */
  prune_interval_ms: ms(3_600_000),
});

/** The hierarchy (src/cascade): summaries to the parent, cascades down the tree. Defaults: src/cascade/options.ts. */
const Cascade = z.strictObject({
  /** A child lead sends its subtree summary (and clock exchange) to its parent this often. */
  summary_interval_ms: ms(SUMMARY_INTERVAL_MS),
  /** A child lead whose last summary is older than this many intervals is left out of cascades. */
  stale_intervals: count(SUMMARY_STALE_INTERVALS),
  /** How long a SUMMARY, cascade COORDINATE or report request waits for its reply. */
  request_timeout_ms: ms(REQUEST_TIMEOUT_MS),
  /** A child lead's time from a cascade COORDINATE to its own hold message, added to its hop when T is chosen. */
  child_handling_ms: z.number().min(0).max(60_000).default(CHILD_HANDLING_MS),
  /** Margin on top of the slowest need when a cascade picks T. */
  slack_ms: z.number().min(0).max(60_000).default(CASCADE_SLACK_MS),
  /** After T + window, how long a lead waits for its children's reports. */
  report_grace_ms: z.number().min(0).max(600_000).default(REPORT_GRACE_MS),
  /** How long each lead's own scatter gathers after T + window. */
  child_gather_ms: z.number().min(0).max(600_000).default(CHILD_GATHER_MS),
  /** Cascades GET /v1/cascades/:id still knows (oldest decided ones are forgotten first). */
  keep: count(256),
});

/** One operator of the management API; exactly one of public_key and public_key_file. */
const ApiOperator = z
  .strictObject({
    id: Id,
    /** Ed25519 public key as base64url, like trust.root_public_keys. */
    public_key: PublicKeyText.optional(),
    /** Or a public key file (JSON, as the key tools write it). */
    public_key_file: path.optional(),
    /** `operator` may change the mesh; `read` may only look. */
    role: z.enum(['operator', 'read']),
  })
  .refine((o) => (o.public_key === undefined) !== (o.public_key_file === undefined), { message: 'give exactly one of public_key and public_key_file' });

/** The management API (src/api). No operators: every authenticated route answers 401. */
const Api = z.strictObject({
  operators: z
    .array(ApiOperator)
    .max(1_000)
    .default([])
    .refine((list) => new Set(list.map((o) => o.id)).size === list.length, { message: 'operator ids must be unique' }),
  /** Requests a caller may make at once, and how fast its bucket refills. */
  rate_limit: z.strictObject({ burst: count(120), per_second: z.number().gt(0).max(100_000).default(20) }).prefault({}),
  /** Largest request body accepted (413 above). */
  max_body_bytes: z.number().int().min(1_024).max(64 * 1_048_576).default(1_048_576),
  /** Serve /metrics without authentication (for a scraper on a trusted network). */
  metrics_public: z.boolean().default(false),
  /** Failed authentications a source address, and a claimed operator id, may have at once and per second; then 429 with Retry-After. */
  auth_failures: z.strictObject({ burst: count(10), per_second: z.number().gt(0).max(10_000).default(0.2) }).prefault({}),
  /** Auth refusal log lines written in full per window; the rest are counted into one summary line per window. */
  auth_log: z.strictObject({ first: count(10, 0), window_ms: ms(60_000) }).prefault({}),
  /** GET /health/deep (unauthenticated) probes an agent at most once per this long; requests in between share the result. */
  deep_health_cache_ms: z.number().int().min(0).max(3_600_000).default(5_000),
});

/**
 * High availability (src/ha): two or more leads with the same lead_id, key and enrollment serve
 * one cluster; the one holding the lease (a JetStream KV key with a TTL) takes heartbeats and
 * operations, the others stand by with their intake closed. Off by default: one lead, nothing
 * asked of JetStream.
 */
const Ha = z.strictObject({
  enabled: z.boolean().default(false),
  /** The KV bucket of leases (created on first use with `ttl_ms` and `replicas`). */
  bucket: z
    .string()
    .regex(/^[-_a-zA-Z0-9]+$/, 'a KV bucket name: letters, digits, - and _')
    .default('mesh_leases'),
  /** The lease's key in the bucket; the cluster_id when absent. */
  lease_key: Id.optional(),
  /** How long a lease lasts unrenewed: a standby takes over within about this much after the holder dies. */
  ttl_ms: z.number().int().min(500).max(60_000).default(2_000),
  /** Copies of the bucket in the NATS cluster: 3 on a three-node cluster, 1 on a single server. */
  replicas: z.number().int().min(1).max(5).default(1),
  /**
   * The lease is renewed on a thread of its own, only while the lead's event loop has shown it is
   * alive (and its NATS connection up) within this many ms: a lead stalled longer loses the lease
   * about stall_ms + ttl_ms after the stall began; shorter stalls cost nothing.
   */
  stall_ms: z.number().int().min(100).max(120_000).default(5_000),
  /**
   * How long past ttl_ms the lease bucket keeps an unrenewed entry (its max age is ttl_ms + this,
   * when a lead creates it): a holder whose lease stream has no leader (a NATS node lost, an
   * election running) rides through up to this long past its TTL on its standbys' promises
   * (src/ha/README.md), instead of failing over. 0: no ride-through. A lead killed is still
   * detected in one TTL; a standby that no holder acknowledged waits for the max age.
   */
  ride_through_ms: z.number().int().min(0).max(120_000).default(10_000),
});

export const LeadConfigSchema = z.strictObject({
  lead_id: Id,
  cluster_id: Id,
  sector_id: Id.optional(),
  /** The lead this one reports to, when it is a child in the hierarchy. */
  parent: z.strictObject({ lead_id: Id, public_key: PublicKeyText }).optional(),
  nats: Nats,
  /** This lead's key pair file (mode 0600). */
  key_path: path,
  trust: Trust,
  data_dir: path,
  http: Http.prefault({}),
  api: Api.prefault({}),
  heartbeat: Heartbeat.prefault({}),
  registry: Registry.prefault({}),
  guard: Guard.prefault({}),
  ingest: Ingest.prefault({}),
  store: Store.prefault({}),
  thresholds: Thresholds.prefault({}),
  scatter: Scatter.prefault({}),
  breakers: Breakers.prefault({}),
  conflicts: Conflicts.prefault({}),
  dead_letters: DeadLetters.prefault({}),
  sensors: Sensors.prefault({}),
  cascade: Cascade.prefault({}),
  ha: Ha.prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  /**
   * SIGTERM to exit, at most: each stop step gets a quarter of it, and when it has passed the
   * lead exits 1 whatever is still running. Keep it below the unit's TimeoutStopSec (30 s in
   * deploy/lead/mesh-lead.service), so the lead, not SIGKILL, ends the stop.
   */
  shutdown: z.strictObject({ timeout_ms: z.number().int().min(100).max(600_000).default(20_000) }).prefault({}),
  /**
   * shift_ms is added to the lead's clock: a fault-test aid that steps the clock a restarted
   * lead starts from, as NTP or an operator would, without touching the host's clock. Leave 0.
   */
  clock: z.strictObject({ shift_ms: z.number().int().min(-31_536_000_000).max(31_536_000_000).default(0) }).prefault({}),
});

export type LeadConfig = z.infer<typeof LeadConfigSchema>;
/** What a config file may contain before defaults apply. */
export type LeadConfigInput = z.input<typeof LeadConfigSchema>;
