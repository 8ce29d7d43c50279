import { MeshMode, type Clock, type TrustStore } from '@mesh30k/shared';
import { createApi, startApiServer, type ApiServer, type LeadStatusBody, type ReadinessCheck } from './api/index.js';
import type { LeadConfig } from './config/index.js';
import { ControlState, HeartbeatIngest, HeartbeatReplay, IngestCounters, InlineVerifier, VerifyPool, type FrameVerifier } from './ingest/index.js';
import { logEvents } from './lib/event-log.js';
import { EventBus, LEAD_EVENTS } from './lib/events.js';
import { createLogger, type Logger } from './lib/logger.js';
import { systemClock } from './lib/system-clock.js';
import { leadStatus, readiness, type StatusSources } from './lead-status.js';
import { NatsLink } from './nats/nats-link.js';
import { NatsProber } from './probe/nats-prober.js';
import { GuardRails, Registry, nodeLagMonitor, registryOptionsFrom, type LagMonitor, type Prober, type SweepReport } from './registry/index.js';
import { LeadStore, SnapshotWriter } from './store/index.js';
import { KeyAnnouncements, addEnrollmentsFrom, loadLeadIdentity, setUpTrust, trustedKeyResolver, type LeadIdentity } from './trust/index.js';

const MODE_KEY = 'mode';
/** Logged once heartbeats can reach the lead; process-level tests and operators wait for it. */
export const INTAKE_OPEN_MESSAGE = 'taking heartbeats';
/** Replies to heartbeats are good for one interval at most. */
const REPLY_TTL_FACTOR = 1;

/** What a caller may replace; everything else is built from the config. */
export interface LeadOverrides {
  clock?: Clock;
  logger?: Logger;
  lag?: LagMonitor;
  /** Replaces the NATS probe (unit-style tests of liveness). */
  prober?: Prober;
  /** Run the sweep and snapshot timers (default true); tests drive both by hand. */
  timers?: boolean;
}

/** A running lead. */
export interface Lead {
  readonly config: LeadConfig;
  readonly identity: LeadIdentity;
  readonly registry: Registry;
  readonly events: EventBus;
  readonly store: LeadStore;
  readonly trust: TrustStore;
  readonly control: ControlState;
  readonly counters: IngestCounters;
  readonly nats: NatsLink;
  readonly api: ApiServer;
  readonly logger: Logger;
  /** Agents restored from the snapshot at start. */
  readonly restored: number;
  /** Resolves once heartbeats can reach the lead (NATS connected, subscription in place). */
  readonly intake: Promise<void>;
  sweep(): Promise<SweepReport>;
  flushSnapshot(): Promise<number>;
  reloadEnrollments(): Promise<{ added: number; refused: number }>;
  status(): LeadStatusBody;
  readiness(): ReadinessCheck[];
  /** Stops intake, flushes the snapshot, drains NATS, closes the API and the database. */
  stop(reason?: string): Promise<void>;
}

/**
 * The composition root: builds every component from the config, restores the registry,
 * serves the API (even while NATS is unreachable), then connects to NATS in the background
 * and takes heartbeats once connected. Nothing is opened at import time.
 */
export async function startLead(config: LeadConfig, overrides: LeadOverrides = {}): Promise<Lead> {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger({ level: config.log.level, leadId: config.lead_id, clusterId: config.cluster_id });
  const events = new EventBus((error, event) => logger.error({ err: error, event: event.name }, 'event listener failed'));
  events.on(logEvents(logger.child({ domain: 'events' })));
  const store = LeadStore.open(config.data_dir, { busyTimeoutMs: config.store.busy_timeout_ms });
  const cleanups: (() => Promise<void> | void)[] = [() => store.close()];
  try {
    const identity = await loadLeadIdentity(config.lead_id, config.key_path);
    const { trust, roots } = await setUpTrust(
      { clock, store, logger: logger.child({ domain: 'trust' }) },
      { rootPublicKeys: config.trust.root_public_keys, enrollmentsPath: config.trust.enrollments },
    );
    const resolveKey = trustedKeyResolver(trust);
    const lag = overrides.lag ?? nodeLagMonitor();
    cleanups.push(() => lag.close());
    const guard = new GuardRails(
      { clock, lag },
      { restartGraceMs: config.guard.restart_grace_ms, timeoutFactor: config.guard.timeout_factor, lagThresholdMs: config.guard.lag_threshold_ms, lagGraceMs: config.guard.lag_grace_ms },
    );
    guard.noteStart();
    const link = new NatsLink(
      { clock, events, logger: logger.child({ domain: 'nats' }) },
      {
        servers: config.nats.servers,
        name: config.nats.name ?? `mesh-lead-${config.lead_id}`,
        tls: config.nats.tls,
        credentialsFile: config.nats.credentials_file,
        reconnectWaitMs: config.nats.reconnect_wait_ms,
      },
    );
    cleanups.push(() => link.close());
    const prober = overrides.prober ?? new NatsProber({ clock, link, identity, resolveKey }, { timeoutMs: config.registry.probe_timeout_ms });

    // The writer reads agents from the registry, the registry marks them dirty in the writer.
    const snapshot: SnapshotWriter = new SnapshotWriter(
      { store: store.agents, read: (id) => registry.persisted(id), clock, events, logger: logger.child({ domain: 'store' }) },
      { intervalMs: config.store.snapshot_interval_ms, batchSize: config.store.batch_size },
    );
    const registry: Registry = new Registry(
      { clock, events, prober, guard, transportUp: () => link.isConnected(), onChange: (id) => snapshot.markDirty(id) },
      registryOptionsFrom(config),
      store.state.get(MODE_KEY, MeshMode),
    );
    events.on((event) => {
      if (event.name === LEAD_EVENTS.modeChanged) store.state.set(MODE_KEY, event.to);
    });
    const loadedAgents = store.agents.loadAll();
    for (const bad of loadedAgents.invalid) logger.warn({ agent_id: bad.agentId, problem: bad.problem }, 'stored agent unreadable; skipped');
    const restored = registry.restore(loadedAgents.agents);
    let registryLoaded = true;

    const counters = new IngestCounters();
    const rules = { resolveKey, accept: ['HEARTBEAT'] as const };
    const verifier: FrameVerifier =
      config.ingest.verify_threads > 0
        ? new VerifyPool(
            { rules, logger: logger.child({ domain: 'verify' }) },
            { threads: config.ingest.verify_threads, batchMax: config.ingest.batch_max, queueMax: config.ingest.queue_max },
          )
        : new InlineVerifier(rules);
    cleanups.push(() => verifier.close());
    const control = new ControlState(store.state);
    const ingest = new HeartbeatIngest(
      {
        clock,
        events,
        logger: logger.child({ domain: 'ingest' }),
        registry,
        trust,
        verifier,
        replay: new HeartbeatReplay({ clock }, { ttlMs: config.ingest.replay_ttl_ms, skewMs: config.ingest.replay_skew_ms, maxEntries: config.ingest.replay_max_entries }),
        control,
        identity,
        counters,
      },
      { heartbeatIntervalMs: config.heartbeat.interval_ms, replyTtlMs: config.heartbeat.interval_ms * REPLY_TTL_FACTOR },
    );

    let lastSweep: SweepReport | undefined;
    const sweep = async (): Promise<SweepReport> => (lastSweep = await registry.sweep());
    const sources: StatusSources = { config, registry, control, counters, verifier, link, store, lastSweep: () => lastSweep, registryLoaded: () => registryLoaded };
    const api = await startApiServer(
      createApi({ status: () => leadStatus(sources), agent: (id) => registry.get(id), readiness: () => readiness(sources), logger: logger.child({ domain: 'api' }) }),
      config.http,
    );
    cleanups.push(() => api.close());

    let intakeOpen: () => void = () => undefined;
    const intake = new Promise<void>((resolve) => (intakeOpen = resolve));
    const announcements = new KeyAnnouncements({ clock, trust, roots, store, logger: logger.child({ domain: 'trust' }), leadId: config.lead_id });
    link.onConnected((nc) => {
      announcements.subscribe(nc);
      verifier.ready
        .then(() => ingest.subscribe(nc))
        .then(() => {
          logger.info({ verify_threads: verifier.threads }, INTAKE_OPEN_MESSAGE);
          intakeOpen();
        })
        .catch((error: unknown) => logger.error({ err: error }, 'heartbeat subscription failed'));
    });
    link.onResumed(() => guard.noteTransportResumed());
    link.start();

    let sweepTimer: NodeJS.Timeout | undefined;
    if (overrides.timers ?? true) {
      sweepTimer = setInterval(() => {
        sweep().catch((error: unknown) => logger.error({ err: error }, 'liveness sweep failed'));
      }, config.registry.sweep_interval_ms);
      sweepTimer.unref();
      snapshot.start();
    }
    events.emit({ name: LEAD_EVENTS.leadStarted, at: clock.now(), reason: `${restored} agents restored; API on ${api.url}` });

    let stopping: Promise<void> | undefined;
    return {
      config,
      identity,
      registry,
      events,
      store,
      trust,
      control,
      counters,
      nats: link,
      api,
      logger,
      restored,
      intake,
      sweep,
      flushSnapshot: () => snapshot.flush(),
      reloadEnrollments: () =>
        config.trust.enrollments === undefined
          ? Promise.resolve({ added: 0, refused: 0 })
          : addEnrollmentsFrom(config.trust.enrollments, { clock, store, logger: logger.child({ domain: 'trust' }), trust, roots }),
      status: () => leadStatus(sources),
      readiness: () => readiness(sources),
      stop(reason = 'stop requested') {
        stopping ??= (async () => {
          events.emit({ name: LEAD_EVENTS.leadStopping, at: clock.now(), reason });
          if (sweepTimer !== undefined) clearInterval(sweepTimer);
          snapshot.stop();
          await ingest.stop();
          announcements.unsubscribe();
          await snapshot.flush();
          registryLoaded = false;
          await runCleanups(cleanups, logger);
        })();
        return stopping;
      },
    };
  } catch (error) {
    await runCleanups(cleanups, logger);
    throw error;
  }
}

/** Last built, first closed; one failing cleanup does not skip the others. */
async function runCleanups(cleanups: (() => Promise<void> | void)[], logger: Logger): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      logger.error({ err: error }, 'shutdown step failed');
    }
  }
}

/**
 * Runs a lead until SIGTERM or SIGINT: then it stops taking heartbeats, flushes its snapshot,
 * drains NATS and resolves with exit status 0. SIGHUP re-reads the enrollment files.
 */
export async function runLead(config: LeadConfig, overrides: LeadOverrides = {}): Promise<number> {
  const lead = await startLead(config, overrides);
  return new Promise<number>((resolve) => {
    const onStop = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onReload);
      lead
        .stop(`received ${signal}`)
        .then(() => resolve(0))
        .catch((error: unknown) => {
          lead.logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        });
    };
    const onReload = (): void => {
      lead
        .reloadEnrollments()
        .then((counts) => lead.logger.info(counts, 'enrollments reloaded'))
        .catch((error: unknown) => lead.logger.error({ err: error }, 'enrollment reload failed'));
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onReload);
  });
}
