import { MeshMode, PROTOCOL_VERSION, describeUnknownEnv, type UnknownEnvName, ReplayGuard, decodePublicKey, encodeMessage, inboxPrefix, newMessageId, restrictionsFor, subjects, verifyAndParse, type BreakerTarget, type Circuit, type SignedFrame, type Clock, type ConflictReport, type Freeze, type Reply, type Thaw, type TrustStore } from '@mesh30k/shared';
import { createSystemdNotifier, nodeEd25519, startWatchdogPings } from '@mesh30k/shared/node';
import type { NatsConnection } from 'nats';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { OperationMetrics, SqliteIdempotencyStore, createApi, loadOperatorDirectory, startApiServer, type ApiServer, type LeadStatusBody, type MeshStatusBox, type ReadinessCheck } from './api/index.js';
import { LeadBreakers, restoreBreakers, saveBreakers } from './breakers/index.js';
import { ConflictDesk, ConflictIntake, ConflictRetention, type ParentEscalation } from './conflicts/index.js';
import { SensorIntake } from './sensors/index.js';
import { FreezeControl, ModeReactions, Operations, heal } from './control/index.js';
import { EdgeTier, registrationFromEnrollment } from './edge/index.js';
import { JobBoard } from './jobs/index.js';
import { LeadCascades } from './lead-cascade.js';
import { AckTap, DELEGATION_DEAD_LETTER_KIND, DelegationDesk, createDelegator } from './delegation/index.js';
import { DeadLetterDesk, coordinateReplayer, delegationReplayer, escalationReplayer } from './dead-letters/index.js';
import { buildLeadScatter } from './lead-scatter.js';
import { frameHeaders, frameOf } from './nats/frames.js';
import type { ScatterEngine, Scheduler } from './scatter/index.js';
import { ENV_PREFIX, type LeadConfig } from './config/index.js';
import { EXIT, LeadError } from './lib/errors.js';
import { ControlState, HeartbeatIngest, HeartbeatReplay, IngestCounters, InlineVerifier, VerifyPool, type FrameVerifier } from './ingest/index.js';
import { logEvents } from './lib/event-log.js';
import { EventBus, LEAD_EVENTS } from './lib/events.js';
import { LimitCounters } from './lib/limit-counters.js';
import { createLogger, type Logger } from './lib/logger.js';
import { ClockAnchor, bootId, measureClockStep, monotonicMs } from './lib/clock-anchor.js';
import { systemClock } from './lib/system-clock.js';
import { leadStatus, meshStatusBox, readiness, type StatusSources } from './lead-status.js';
import { NatsLink } from './nats/nats-link.js';
import { readNkeySeed } from './nats-config/index.js';
import { NatsProber } from './probe/nats-prober.js';
import { GuardRails, Registry, nodeLagMonitor, registryOptionsFrom, type LagMonitor, type Prober, type SweepReport } from './registry/index.js';
import { LeadStore, SnapshotWriter } from './store/index.js';
import { EnrollmentDesk, KeyAnnouncements, addEnrollmentsFrom, loadLeadEnrollment, loadLeadIdentity, loadRootKey, setUpTrust, TrustCache, trustedKeyResolver, type LeadIdentity } from './trust/index.js';
import { pendingEnrollmentJson } from './api/index.js';

const MODE_KEY = 'mode';
/** The previous run's wall-minus-monotonic anchor (lib/clock-anchor.ts). */
const CLOCK_ANCHOR_KEY = 'clock_anchor';
/** A clock step this large across a restart is worth a warning line. */
const CLOCK_STEP_WARN_MS = 1_000;
const MODE_OVERRIDE_KEY = 'mode_override';
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
  /** Run the sweep, snapshot and breaker timers (default true); tests drive them by hand. */
  timers?: boolean;
  /** The scatter engine's timers; default real timers on the lead's clock. */
  scheduler?: Scheduler;
  /** Extra lead services (tests, or a build that adds its own); started after the built-in ones. */
  services?: readonly LeadServiceFactory[];
  /**
   * The monotonic clock and boot id that measure a clock step across restarts (default
   * CLOCK_MONOTONIC and Linux's boot id). With an injected `clock` and no `monotonic`, no step
   * is measured: a test's clock is not the wall clock.
   */
  monotonic?: { now: () => number; bootId: string | undefined };
}

/**
 * EXTENSION POINT for engines that live beside the scatter engine (src/cascade: hierarchy and
 * cascades; src/edge: HTTPS transport to Workers). Each exposes a factory; the factory gets the
 * lead's components, the service is started once NATS is connected and stopped (in reverse
 * order) before NATS is drained and the store closed.
 */
export interface LeadServiceContext {
  readonly config: LeadConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly identity: LeadIdentity;
  readonly registry: Registry;
  readonly events: EventBus;
  readonly store: LeadStore;
  readonly engine: ScatterEngine;
  readonly breakers: LeadBreakers;
  readonly freeze: FreezeControl;
  readonly conflicts: ConflictDesk;
  readonly link: NatsLink;
}

export interface LeadService {
  readonly name: string;
  /** Called once the first NATS connection is up (the client keeps subscriptions across reconnects). */
  start(nc: NatsConnection): void | Promise<void>;
  stop(): void | Promise<void>;
  /** For GET /v1/status: the last cascade this service ran, if it runs cascades. */
  lastCascade?(): MeshStatusBox['last_cascade'];
}

export type LeadServiceFactory = (context: LeadServiceContext) => LeadService;

/**
 * The lead services every lead runs. Add the cascade engine and the edge transport here as
 * their factories land, e.g. `(ctx) => createCascadeService(ctx)`; order is start order.
 */
export const LEAD_SERVICES: readonly LeadServiceFactory[] = [];
// The cascade service (src/cascade, via lead-cascade.ts) is built in startLead, first in start
// order, because the API serves it; the edge tier (src/edge) is part of the scatter engine's
// composition (lead-scatter.ts) and the registry's prober, so neither is a factory here.

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
  readonly engine: ScatterEngine;
  readonly operations: Operations;
  readonly freeze: FreezeControl;
  readonly breakers: LeadBreakers;
  readonly conflicts: ConflictDesk;
  readonly deadLetters: DeadLetterDesk;
  /** What the degradation mode asks beyond admission: state preservation, the operator alert. */
  readonly modeReactions: ModeReactions;
  readonly services: readonly LeadService[];
  /** Cascades over this lead's subtree, and the summary link to its parent (src/cascade). */
  readonly cascades: LeadCascades;
  /** Workers this lead dials over HTTPS (src/edge). */
  readonly edge: EdgeTier;
  /** Agents restored from the snapshot at start. */
  readonly restored: number;
  /** Resolves once heartbeats can reach the lead (NATS connected, subscription in place). */
  readonly intake: Promise<void>;
  sweep(): Promise<SweepReport>;
  /** Breaker pass: due transitions and probes (the lead runs it on a timer; tests by hand). */
  checkBreakers(): Promise<void>;
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
  const clock = overrides.clock ?? shiftedClock(systemClock, config.clock.shift_ms);
  const logger = overrides.logger ?? createLogger({ level: config.log.level, leadId: config.lead_id, clusterId: config.cluster_id, env: process.env });
  const events = new EventBus((error, event) => logger.error({ err: error, event: event.name }, 'event listener failed'));
  events.on(logEvents(logger.child({ domain: 'events' })));
  const store = LeadStore.open(config.data_dir, { busyTimeoutMs: config.store.busy_timeout_ms });
  // Closed last built first, at stop and when start-up fails half way.
  const cleanups: StopStep[] = [['close the database', () => store.close()]];
  try {
    const identity = await loadLeadIdentity(config.lead_id, config.key_path);
    const { trust, roots } = await setUpTrust(
      { clock, store, logger: logger.child({ domain: 'trust' }) },
      { rootPublicKeys: config.trust.root_public_keys, enrollmentsPath: config.trust.enrollments },
    );
    // Per-message lookups go through the cache; it is invalidated by every change to the store.
    const trustCache = new TrustCache(trust, () => clock.now());
    const resolveKey = trustedKeyResolver(trustCache);
    const enrollmentDesk = new EnrollmentDesk({
      clock,
      store,
      trust,
      roots,
      events,
      logger: logger.child({ domain: 'trust' }),
      leadId: config.lead_id,
      rootKey: config.trust.root_key_path === undefined ? undefined : await loadRootKey(config.trust.root_key_path, config.trust.root_public_keys),
      leadEnrollment: config.trust.lead_enrollment === undefined ? undefined : await loadLeadEnrollment(config.trust.lead_enrollment, roots, identity, clock),
    });
    const lag = overrides.lag ?? nodeLagMonitor();
    cleanups.push(['lag monitor', () => lag.close()]);
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
        nkeySeed: config.nats.nkey_seed_file === undefined ? undefined : readNkeySeed(config.nats.nkey_seed_file, 'nats.nkey_seed_file'),
        inboxPrefix: inboxPrefix(config.lead_id),
        reconnectWaitMs: config.nats.reconnect_wait_ms,
      },
    );
    cleanups.push(['drain and close NATS', () => link.close()]);
    const natsProber = overrides.prober ?? new NatsProber({ clock, link, identity, resolveKey }, { timeoutMs: config.registry.probe_timeout_ms });
    // Workers are probed over HTTPS by the edge tier, everyone else over NATS. The tier needs the
    // registry (it folds good probes in as heartbeats), which needs the prober: resolved on use.
    const late: { edgeProber?: Prober } = {};
    const prober: Prober = { probe: (agentId) => (late.edgeProber ?? natsProber).probe(agentId) };

    // Set once the heartbeat subscription is on the server: readiness and liveness wait for it.
    let intakeIsOpen = false;
    // The writer reads agents from the registry, the registry marks them dirty in the writer.
    const snapshot: SnapshotWriter = new SnapshotWriter(
      { store: store.agents, read: (id) => registry.persisted(id), clock, events, logger: logger.child({ domain: 'store' }) },
      { intervalMs: config.store.snapshot_interval_ms, batchSize: config.store.batch_size, seenIntervalMs: config.store.last_seen_interval_ms, sliceMs: config.store.slice_ms },
    );
    const registry: Registry = new Registry(
      // Nobody is judged offline before heartbeats can reach us (NATS up and the intake open).
      { clock, events, prober, guard, transportUp: () => link.isConnected() && intakeIsOpen, onChange: (id) => snapshot.markDirty(id), onSeen: (id) => snapshot.markSeen(id) },
      registryOptionsFrom(config),
      store.state.get(MODE_KEY, MeshMode),
    );
    // The computed mode is what the next start begins from; an override is kept apart.
    events.on((event) => {
      if (event.name === LEAD_EVENTS.modeChanged) store.state.set(MODE_KEY, registry.computedMode);
    });
    const storedOverride = store.state.get(MODE_OVERRIDE_KEY, MeshMode.nullable());
    if (storedOverride !== undefined && storedOverride !== null) registry.setModeOverride(storedOverride);
    const edge = new EdgeTier(
      { clock, identity, registry, ed25519: nodeEd25519, logger: logger.child({ domain: 'edge' }), db: store.db },
      { intervalMs: config.heartbeat.interval_ms },
    );
    late.edgeProber = edge.registryProber(natsProber);
    const loadedAgents = store.agents.loadAll();
    for (const bad of loadedAgents.invalid) logger.warn({ agent_id: bad.agentId, problem: bad.problem }, 'stored agent unreadable; skipped');
    const clockStepMs = measureStepSinceLastRun(store, clock, overrides, logger);
    const restored = registry.restore(loadedAgents.agents, clockStepMs);
    let registryLoaded = true;

    const counters = new IngestCounters();
    const limits = new LimitCounters();
    const rules = { resolveKey, accept: ['HEARTBEAT'] as const };
    const verifier: FrameVerifier =
      config.ingest.verify_threads > 0
        ? new VerifyPool(
            { rules, logger: logger.child({ domain: 'verify' }) },
            { threads: config.ingest.verify_threads, batchMax: config.ingest.batch_max, queueMax: config.ingest.queue_max, flushMs: config.ingest.flush_ms },
          )
        : new InlineVerifier(rules);
    cleanups.push(['verify threads', () => verifier.close()]);
    const control = new ControlState(store.state);
    const ingest = new HeartbeatIngest(
      {
        clock,
        events,
        logger: logger.child({ domain: 'ingest' }),
        registry,
        trust: trustCache,
        verifier,
        replay: new HeartbeatReplay({ clock, sequences: registry }, { ttlMs: config.ingest.replay_ttl_ms, skewMs: config.ingest.replay_skew_ms, maxEntries: config.ingest.replay_max_entries }),
        control,
        identity,
        counters,
        limits,
      },
      {
        heartbeatIntervalMs: config.heartbeat.interval_ms,
        replyTtlMs: config.heartbeat.interval_ms * REPLY_TTL_FACTOR,
        shed: { backlog: config.ingest.shed_backlog, retryAfterMs: config.ingest.shed_retry_after_ms },
        refusals: { perSignerBurst: config.ingest.refusals.per_signer_burst, perSignerPerSecond: config.ingest.refusals.per_signer_per_s, totalPerSecond: config.ingest.refusals.total_per_s },
        clockStepMs,
      },
    );

    /** A signed frame as it is, on `subject` (dead-letter replays). */
    const publishFrame = (subject: string, frame: SignedFrame): void => {
      const nc = link.connection;
      if (nc === undefined) throw new Error('NATS is not connected');
      nc.publish(subject, frame.body, { headers: frameHeaders(frame) });
    };

    // Control channel: FREEZE, THAW and CIRCUIT notices, signed by the lead.
    const publishControl = async (message: Freeze | Thaw | Circuit): Promise<void> => {
      const nc = link.connection;
      if (nc === undefined) throw new Error('NATS is not connected');
      const frame = await encodeMessage(message, identity.signer, config.lead_id);
      nc.publish(subjects.control(config.lead_id), frame.body, { headers: frameHeaders(frame) });
    };
    const freeze = new FreezeControl({ clock, state: control, publish: publishControl, logger: logger.child({ domain: 'control' }), leadId: config.lead_id, clusterId: config.cluster_id, sectorId: config.sector_id });

    const breakerLog = logger.child({ domain: 'breakers' });
    const breakers = new LeadBreakers(
      {
        clock,
        logger: breakerLog,
        locate: (agentId) => {
          const view = registry.get(agentId);
          return view === undefined ? undefined : { clusterId: view.clusterId, sectorId: view.sectorId };
        },
        probeCandidates: (target) => probeCandidates(registry, target),
        probe: (agentId) => prober.probe(agentId),
        onTransition: (event) => {
          if (event.shadow || event.kind === 'extended') return;
          // Written on change only; read back at the next start.
          saveBreakers(store.state, breakers);
          const now = clock.now();
          const action = event.to === 'open' ? 'OPEN' : event.to === 'half-open' ? 'HALF_OPEN' : 'CLOSE';
          publishControl({ v: PROTOCOL_VERSION, message_id: newMessageId(now), sender_id: config.lead_id, created_at: now, ttl_ms: 60_000, kind: 'CIRCUIT', action, scope: event.scope, target_id: event.targetId, reason: event.reason.slice(0, 256) }).catch(
            (error: unknown) => breakerLog.debug({ err: error }, 'CIRCUIT notice not published'),
          );
        },
      },
      {
        metricsOnly: config.breakers.metrics_only,
        clusterTripAbove: config.breakers.cluster_trip_above,
        sectorTripAbove: config.breakers.sector_trip_above,
        failureWindowMs: config.breakers.failure_window_ms,
        openDurationMs: config.breakers.open_duration_ms,
        reprobeMs: config.breakers.reprobe_ms,
        halfOpenObservationMs: config.breakers.half_open_observation_ms,
        halfOpenMaxTrials: config.breakers.half_open_max_trials,
      },
    );

    const escalate = config.parent === undefined ? undefined : parentEscalationVia(link, identity, { leadId: config.parent.lead_id, publicKey: decodePublicKey(config.parent.public_key) }, config.conflicts.escalation_timeout_ms);
    const restoredBreakers = restoreBreakers(store.state, breakers);
    if (restoredBreakers > 0) breakerLog.warn({ restored: restoredBreakers }, 'breakers restored from the database');
    const conflictLog = logger.child({ domain: 'conflicts' });
    const conflicts = new ConflictDesk(
      {
        clock,
        log: store.conflicts,
        quarantine: store.quarantine,
        deadLetters: store.deadLetters,
        logger: conflictLog,
        leadId: config.lead_id,
        ...(escalate === undefined ? {} : { escalate }),
      },
      { escalateAt: config.conflicts.escalate_at },
    );
    const replayOptions = { ttlMs: config.ingest.replay_ttl_ms, skewMs: config.ingest.replay_skew_ms };
    const sensorIntake = new SensorIntake({ readings: store.sensors, clock, ed25519: nodeEd25519, resolveKey, replay: new ReplayGuard({ clock, ...replayOptions }), logger: logger.child({ domain: 'sensors' }), leadId: config.lead_id, replies: { leadId: config.lead_id, signer: identity.signer, clock } });
    const conflictIntake = new ConflictIntake({
      desk: conflicts,
      ed25519: nodeEd25519,
      resolveKey,
      replay: new ReplayGuard({ clock, ...replayOptions }),
      logger: conflictLog,
      leadId: config.lead_id,
      replies: { leadId: config.lead_id, signer: identity.signer, clock },
      clock,
      rate: { burst: config.conflicts.rate_limit.burst, perSecond: config.conflicts.rate_limit.per_second },
      limits,
    });
    const { retention } = config.conflicts;
    const conflictRetention = new ConflictRetention(
      { clock, log: store.conflicts, logger: conflictLog, limits },
      { maxRows: retention.max_rows, maxAgeMs: retention.max_age_ms, intervalMs: retention.interval_ms, batch: retention.batch },
    );
    if (overrides.timers ?? true) conflictRetention.start();
    cleanups.push(['conflict retention', () => conflictRetention.stop()]);

    const scatterLog = logger.child({ domain: 'scatter' });
    const ackTap = new AckTap();
    const { engine, transport: scatterTransport } = buildLeadScatter(
      {
        clock,
        logger: scatterLog,
        identity,
        registry,
        breakers,
        control,
        conflicts,
        link,
        history: store.operations,
        deadLetters: store.deadLetters,
        resolveKey,
        // With a verify pool, ACK signatures are checked on its threads too.
        ...(verifier.threads > 0 ? { framePool: verifier } : {}),
        edge,
        ackTap,
        limits,
        replayTtlMs: replayOptions.ttlMs,
        replaySkewMs: replayOptions.skewMs,
        ...(overrides.scheduler === undefined ? {} : { scheduler: overrides.scheduler }),
      },
      {
        maxInFlight: config.scatter.max_in_flight,
        maxQueued: config.scatter.max_queued,
        agingStepMs: config.scatter.aging_step_ms,
        maxQueueWaitMs: config.scatter.max_queue_wait_ms,
        holdMarginMs: config.scatter.hold_margin_ms,
        ackReturnSlackMs: config.scatter.ack_return_slack_ms,
      },
      config.scatter.send_attempts,
    );
    engine.start();
    const reactions = new ModeReactions({ logger: logger.child({ domain: 'mode' }), now: () => clock.now(), preserveState: () => snapshot.flush(), fleetSize: () => registry.size }, registry.mode);
    events.on((event) => {
      if (event.name !== LEAD_EVENTS.modeChanged) return;
      engine.modeChanged();
      reactions.modeChanged(event.from, event.to);
    });
    const operationMetrics = new OperationMetrics();
    const operations = new Operations({
      clock,
      engine,
      history: store.operations,
      admissionRefusal: () => freeze.admissionRefusal(),
      onOutcome: (outcome) => operationMetrics.record(outcome),
      onRefused: (refusal) => {
        if ('limit' in refusal && refusal.limit !== undefined) limits.hit(`payload_${refusal.limit}`);
      },
    });
    const delegations = new DelegationDesk(
      createDelegator({
        clock,
        engine,
        registry,
        deadLetters: store.deadLetters,
        logger: logger.child({ domain: 'delegation' }),
        acks: ackTap,
        precheck: (agent) => (control.isFrozen(agent.clusterId, agent.sectorId ?? undefined) ? 'frozen' : null),
        admissionRefusal: () => freeze.admissionRefusal(),
        retryTimeoutFactor: () => restrictionsFor(registry.mode).retryTimeoutFactor,
      }),
      () => clock.now(),
    );

    store.deadLetters.retain({ maxRows: config.dead_letters.max_rows, maxAgeMs: config.dead_letters.max_age_ms });
    const deadLetters = new DeadLetterDesk({
      store: store.deadLetters,
      logger: logger.child({ domain: 'dead-letters' }),
      now: () => clock.now(),
      replayers: {
        'coordinate.agent': coordinateReplayer({ leadId: config.lead_id, now: () => clock.now(), publish: publishFrame }),
        'coordinate.group': coordinateReplayer({ leadId: config.lead_id, now: () => clock.now(), publish: publishFrame }),
        'conflict.escalation': escalationReplayer({ now: () => clock.now(), escalate }),
        [DELEGATION_DEAD_LETTER_KIND]: delegationReplayer({ start: (raw) => delegations.start(raw) }),
      },
    });
    deadLetters.prune();

    // Workers are probed from now on (those restored from the database too); stopped before the store closes.
    edge.prober.start();
    cleanups.push(['edge prober', () => edge.prober.stop()]);

    const cascades = new LeadCascades({ config, clock, logger: logger.child({ domain: 'cascade' }), identity, registry, control, trust, resolveKey, engine, timers: overrides.timers ?? true });
    const serviceContext: LeadServiceContext = { config, clock, logger, identity, registry, events, store, engine, breakers, freeze, conflicts, link };
    const services: LeadService[] = [cascades, ...[...LEAD_SERVICES, ...(overrides.services ?? [])].map((factory) => factory(serviceContext))];

    let lastSweep: SweepReport | undefined;
    const sweep = async (): Promise<SweepReport> => (lastSweep = await registry.sweep());
    const mesh = (): MeshStatusBox =>
      meshStatusBox({
        registry,
        now: () => clock.now(),
        frozen: () => freeze.isLeadFrozen(),
        breakers: () => breakers.list(),
        conflictsSince: (since) => conflicts.countSince(since),
        operations: () => engine.stats(),
        lastCascade: () => services.reduce<MeshStatusBox['last_cascade']>((last, service) => service.lastCascade?.() ?? last, null),
        children: () => (cascades.service?.children() ?? []).map((child) => ({ summary: child.summary, live: child.liveness === 'live' })),
      });
    const sources: StatusSources = {
      config,
      registry,
      control,
      counters,
      verifier,
      link,
      store,
      snapshots: () => snapshot.health(),
      intakeOpen: () => intakeIsOpen,
      lastSweep: () => lastSweep,
      registryLoaded: () => registryLoaded,
      mesh,
      alert: () => reactions.alert,
    };
    const jobs = new JobBoard(() => clock.now());
    // Its own histogram: the guard rails' lag monitor is read (and reset) by the sweep.
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
    cleanups.push(['event-loop histogram', () => void loopDelay.disable()]);
    const operators = await loadOperatorDirectory(config.api.operators);
    if (operators.size === 0) logger.warn('no API operators configured (api.operators): every /v1 route answers 401; see mesh-lead operator-key');
    const api = await startApiServer(
      createApi({
        access: {
          operators,
          ed25519: nodeEd25519,
          now: () => clock.now(),
          rateLimit: { burst: config.api.rate_limit.burst, perSecond: config.api.rate_limit.per_second },
          maxBodyBytes: config.api.max_body_bytes,
          publicPaths: config.api.metrics_public ? ['/metrics'] : [],
          failureLimit: { burst: config.api.auth_failures.burst, perSecond: config.api.auth_failures.per_second },
          failureLog: { first: config.api.auth_log.first, windowMs: config.api.auth_log.window_ms },
          limits,
        },
        deepProbeCacheMs: config.api.deep_health_cache_ms,
        status: () => leadStatus(sources),
        agent: (id) => registry.get(id),
        agentIndex: { ids: () => registry.agentIds(), size: () => registry.size },
        idempotency: new SqliteIdempotencyStore(store.db),
        agentAction: (id, action, reason) => {
          if (action === 'quarantine') registry.quarantine(id, reason);
          else if (action === 'recover') registry.recover(id, reason);
          else registry.retire(id, reason);
          return registry.get(id);
        },
        readiness: () => readiness(sources),
        logger: logger.child({ domain: 'api' }),
        operations,
        jobs,
        acks: ackTap,
        enrollments: {
          enroll: (signed, by) => enrollmentDesk.enrollSigned(signed, by),
          revoke: (agentId) => enrollmentDesk.revoke(agentId),
          requests: {
            list: (state) => enrollmentDesk.list(state).map(pendingEnrollmentJson),
            leadSigns: () => enrollmentDesk.holdsRootKey,
            accept: (agentId, terms, by) => enrollmentDesk.accept(agentId, terms, by),
            reject: (agentId, reason, by) => {
              const entry = enrollmentDesk.reject(agentId, reason, by);
              return entry === undefined ? undefined : pendingEnrollmentJson(entry);
            },
          },
        },
        deepProbe: async () => {
          // The best few routable agents; the first to answer proves NATS, keys and an agent end to end.
          const candidates = registry.select({ selector: { all: true }, order: 'impedance', limit: 3, honourPanic: false }).agentIds;
          const misses: string[] = [];
          for (const agentId of candidates) {
            const result = await prober.probe(agentId);
            if (result.ok) return { ok: true, agentId, rttMs: result.rttMs };
            misses.push(`${agentId}: ${result.reason}`);
          }
          return { ok: false, detail: candidates.length === 0 ? 'no active agent to probe' : misses.join('; ') };
        },
        metrics: {
          ingest: () => counters.snapshot(),
          operations: operationMetrics,
          breakers: () => breakers.list(),
          mode: () => registry.mode,
          limits: () => limits.snapshot(),
          hardware: () => registry.hardwareSummary(),
          deadLetters: () => ({ stored: deadLetters.count(), pruned: deadLetters.pruned }),
          sensors: () => ({ ...sensorIntake.stats(), known: store.sensors.count() }),
          operatorAlert: () => ({ active: reactions.alert.active, raised: reactions.raised }),
          eventLoopDelayMs: () => {
            const worst = loopDelay.max / 1e6;
            loopDelay.reset();
            return worst;
          },
          snapshots: () => {
            const health = snapshot.health();
            return { failures: health.failures, failing: health.failingSince !== null };
          },
        },
        mode: {
          get: () => ({ mode: registry.mode, computed: registry.computedMode, override: registry.modeOverride }),
          set: (override) => {
            store.state.set(MODE_OVERRIDE_KEY, override);
            registry.setModeOverride(override);
          },
        },
        sample: (n, capability) => registry.select({ selector: capability === undefined ? { all: true } : { capability }, order: 'impedance', limit: n }).agentIds,
        delegations,
        deadLetters,
        sensors: store.sensors,
        control: freeze,
        breakers: () => breakers.list(),
        forceBreaker: (scope, targetId, state, reason) => {
          // auto: a cluster or sector breaker half-opens and decides from trial traffic; the global one closes.
          const action = state === 'open' ? 'OPEN' : state === 'closed' || scope === 'global' ? 'CLOSE' : 'HALF_OPEN';
          breakers.apply(scope, targetId, action, reason);
        },
        conflicts: (query) => store.conflicts.query(query),
        heal: (target, by) =>
          heal(
            {
              quarantined: (selector) => registry.select({ selector, states: ['quarantined'], honourPanic: false }).agentIds,
              agent: (id) => registry.get(id),
              recover: (id, reason) => void registry.recover(id, reason),
              breakers: () => breakers.list(),
              closeBreaker: (scope, targetId, reason) => void breakers.apply(scope, targetId, 'CLOSE', reason),
            },
            target,
            by,
          ),
        cascades,
        edgeAgents: {
          register: (body) => {
            const outcome = edge.directory.register(body);
            return outcome.ok ? { ok: true, agent: outcome.agent, replaced: outcome.replaced } : { ok: false, path: outcome.path, message: outcome.message };
          },
          registerEnrolled: async (url, enrollment) => {
            const derived = await registrationFromEnrollment(roots, clock, url, enrollment);
            if (!derived.ok) return derived;
            const outcome = edge.directory.register(derived.registration);
            return outcome.ok ? { ok: true, agent: outcome.agent, replaced: outcome.replaced } : { ok: false, path: outcome.path, message: outcome.message };
          },
          remove: (id) => edge.directory.remove(id),
          snapshot: () => edge.directory.snapshot(),
        },
      }),
      config.http,
    );
    cleanups.push(['close the HTTP API', () => api.close()]);

    let intakeOpen: () => void = () => undefined;
    const intake = new Promise<void>((resolve) => (intakeOpen = resolve));
    const announcements = new KeyAnnouncements({ clock, trust, roots, store, logger: logger.child({ domain: 'trust' }), leadId: config.lead_id, replies: { leadId: config.lead_id, signer: identity.signer, clock } });
    let servicesStarted: Promise<void> = Promise.resolve();
    link.onConnected((nc) => {
      announcements.subscribe(nc);
      enrollmentDesk.subscribe(nc);
      scatterTransport.connected();
      conflictIntake.subscribe(nc);
      sensorIntake.subscribe(nc);
      servicesStarted = (async () => {
        for (const service of services) await service.start(nc);
      })().catch((error: unknown) => logger.error({ err: error }, 'lead service failed to start'));
      verifier.ready
        .then(() => ingest.subscribe(nc))
        .then(() => {
          // Only the first time: a reconnect has its own guard (transport-resumed).
          if (!intakeIsOpen) registry.intakeOpened();
          intakeIsOpen = true;
          logger.info({ verify_threads: verifier.threads }, INTAKE_OPEN_MESSAGE);
          intakeOpen();
        })
        .catch((error: unknown) => logger.error({ err: error }, 'heartbeat subscription failed'));
    });
    link.onResumed(() => guard.noteTransportResumed());
    link.start();

    let sweepTimer: NodeJS.Timeout | undefined;
    let breakerTimer: NodeJS.Timeout | undefined;
    let deadLetterTimer: NodeJS.Timeout | undefined;
    const checkBreakers = async (): Promise<void> => {
      await breakers.check();
    };
    if (overrides.timers ?? true) {
      sweepTimer = setInterval(() => {
        sweep().catch((error: unknown) => logger.error({ err: error }, 'liveness sweep failed'));
      }, config.registry.sweep_interval_ms);
      sweepTimer.unref();
      breakerTimer = setInterval(() => {
        checkBreakers().catch((error: unknown) => breakerLog.error({ err: error }, 'breaker check failed'));
      }, config.breakers.check_interval_ms);
      breakerTimer.unref();
      deadLetterTimer = setInterval(() => {
        try {
          deadLetters.prune();
        } catch (error) {
          logger.error({ err: error }, 'dead-letter retention failed');
        }
      }, config.dead_letters.prune_interval_ms);
      deadLetterTimer.unref();
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
      engine,
      operations,
      freeze,
      breakers,
      conflicts,
      deadLetters,
      modeReactions: reactions,
      services,
      cascades,
      edge,
      restored,
      intake,
      sweep,
      checkBreakers,
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
          if (breakerTimer !== undefined) clearInterval(breakerTimer);
          if (deadLetterTimer !== undefined) clearInterval(deadLetterTimer);
          snapshot.stop();
          // Each step on its own and bounded: one that throws or hangs (a damaged database, a
          // broker that stopped answering) must not keep the others, or the exit, from happening.
          const steps: StopStep[] = [
            ['lead services started', () => servicesStarted],
            ...[...services].reverse().map((service): StopStep => [`service ${service.name}`, () => service.stop()]),
            // Queued operations are refused, running ones decided and written to the history.
            ['scatter engine', () => engine.stop()],
            ['conflict intake', () => conflictIntake.unsubscribe()],
            ['sensor intake', () => sensorIntake.unsubscribe()],
            ['conflicts settled', () => conflicts.settle()],
            ['heartbeat intake', () => ingest.stop()],
            ['key announcements', () => announcements.unsubscribe()],
            ['enrollment requests', () => enrollmentDesk.unsubscribe()],
            ['mode reactions settled', () => reactions.settle()],
            ['final snapshot', () => snapshot.flush()],
            [
              'registry unloaded',
              () => {
                registryLoaded = false;
              },
            ],
            ...[...cleanups].reverse(),
          ];
          const failed = await runStopSteps(steps, { stepTimeoutMs: stepTimeoutMs(config), logger });
          if (failed.length > 0) throw new LeadError('STOP_FAILED', `stopped, but ${failed.length} stop step(s) failed: ${failed.join(', ')}`);
        })();
        return stopping;
      },
    };
  } catch (error) {
    await runStopSteps([...cleanups].reverse(), { stepTimeoutMs: stepTimeoutMs(config), logger });
    throw error;
  }
}

/** Agents to PING for a breaker probe: routable ones of the scope by impedance, else any of it. */
function probeCandidates(registry: Registry, target: BreakerTarget): string[] {
  const selector = target.scope === 'cluster' ? { cluster_id: target.targetId } : { sector_id: target.targetId };
  const routable = registry.select({ selector, order: 'impedance', limit: 2, honourPanic: false }).agentIds;
  if (routable.length > 0) return routable;
  return registry.select({ selector, states: ['active', 'degraded', 'offline', 'quarantined'], honourPanic: false, limit: 2 }).agentIds;
}

/**
 * Sends a CONFLICT to the parent lead's conflict subject and waits for its confirmation: a
 * REPLY the parent signed for this report (docs/protocol.md); anything else is a failure, so
 * the conflict stays escalation-pending here.
 */
function parentEscalationVia(link: NatsLink, identity: LeadIdentity, parent: { leadId: string; publicKey: Uint8Array | undefined }, timeoutMs: number): ParentEscalation {
  return async (report: ConflictReport) => {
    const nc = link.connection;
    if (nc === undefined) throw new Error('NATS is not connected');
    const frame = await encodeMessage(report, identity.signer, identity.leadId);
    const reply = await nc.request(subjects.conflict(parent.leadId), frame.body, { timeout: timeoutMs, headers: frameHeaders(frame) });
    const verified = await verifyAndParse(frameOf(reply), {
      ed25519: nodeEd25519,
      resolveKey: (id) => (id === parent.leadId && parent.publicKey !== undefined ? { ok: true, value: parent.publicKey } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: `${id} is not this lead's parent` } }),
      accept: ['REPLY'],
    });
    if (!verified.ok) throw new Error(`parent lead's answer refused: ${verified.error.code} ${verified.error.message}`);
    const answer = verified.value.message as Reply;
    if (answer.in_reply_to !== report.message_id || answer.to !== identity.leadId) throw new Error('parent lead\'s answer is for another report');
    if (!answer.ok) throw new Error(`parent lead refused the conflict: ${answer.code ?? 'unknown'} ${answer.message ?? ''}`);
  };
}

/**
 * How far the lead's clock moved since the previous run on this boot (0 when unknown), and
 * this run's anchor stored for the next. Restored lead-clock times are re-anchored by it.
 */
function measureStepSinceLastRun(store: LeadStore, clock: Clock, overrides: LeadOverrides, logger: Logger): number {
  const monotonic = overrides.monotonic ?? (overrides.clock === undefined ? { now: monotonicMs, bootId: bootId() } : undefined);
  if (monotonic === undefined) return 0;
  const { anchor, stepMs } = measureClockStep(store.state.get(CLOCK_ANCHOR_KEY, ClockAnchor), clock.now(), monotonic.now(), monotonic.bootId);
  if (anchor !== undefined) store.state.set(CLOCK_ANCHOR_KEY, anchor);
  if (stepMs !== undefined && Math.abs(stepMs) >= CLOCK_STEP_WARN_MS) {
    logger.warn({ step_ms: Math.round(stepMs) }, `the lead's clock moved ${Math.round(stepMs)} ms since its last run on this boot; restored agent times re-anchored, agents re-synchronise within a few heartbeats`);
  }
  return stepMs ?? 0;
}

/** The system clock moved by `shiftMs` (config clock.shift_ms, a test aid; 0 in production). */
function shiftedClock(base: Clock, shiftMs: number): Clock {
  return shiftMs === 0 ? base : Object.freeze({ now: () => base.now() + shiftMs });
}

/** A named stop step; its result is awaited, bounded by the step timeout. */
type StopStep = readonly [name: string, run: () => unknown];

/** Each stop step gets this share of the shutdown timeout, so a hung one leaves time for the rest. */
const STOP_STEP_SHARE = 0.25;

function stepTimeoutMs(config: LeadConfig): number {
  return Math.max(1, Math.floor(config.shutdown.timeout_ms * STOP_STEP_SHARE));
}

/** Runs every step in order whatever the others do; returns the names of those that threw or timed out. */
async function runStopSteps(steps: readonly StopStep[], options: { stepTimeoutMs: number; logger: Logger }): Promise<string[]> {
  const failed: string[] = [];
  for (const [name, run] of steps) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.stepTimeoutMs);
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(run), timedOut]);
      if (outcome === 'timeout') {
        failed.push(name);
        options.logger.error({ step: name, timeout_ms: options.stepTimeoutMs }, `stop step "${name}" did not finish in time; going on without it`);
      }
    } catch (error) {
      failed.push(name);
      options.logger.error({ err: error, step: name }, `stop step "${name}" failed; going on`);
    } finally {
      clearTimeout(timer);
    }
  }
  return failed;
}

/** What the command line knows before the lead starts. */
export interface RunOptions {
  /** MESH_LEAD_* variables that match no config key: warned about once the logger exists. */
  unknownEnv?: readonly UnknownEnvName[];
  /** Ends the process when the shutdown timeout passes (default process.exit); tests replace it. */
  exit?: (code: number) => void;
}

/**
 * Runs a lead until SIGTERM or SIGINT: then it stops taking heartbeats, flushes its snapshot,
 * drains NATS and resolves with exit status 0, or 1 when a stop step failed. Whatever hangs,
 * the process exits 1 once `shutdown.timeout_ms` has passed since the signal, with a log line
 * saying so. SIGHUP re-reads the enrollment files. Under systemd (Type=notify) it sends
 * READY=1 once its API serves (NATS may still be connecting: the lead works through an
 * outage), WATCHDOG=1 from its event loop and STOPPING=1 on stop.
 */
export async function runLead(config: LeadConfig, overrides: LeadOverrides = {}, options: RunOptions = {}): Promise<number> {
  const logger = overrides.logger ?? createLogger({ level: config.log.level, leadId: config.lead_id, clusterId: config.cluster_id, env: process.env });
  if (options.unknownEnv !== undefined && options.unknownEnv.length > 0) {
    logger.warn({ names: options.unknownEnv.map((entry) => entry.name) }, `${ENV_PREFIX}* variables that match no config key: ${describeUnknownEnv(options.unknownEnv)}`);
  }
  const lead = await startLead(config, { ...overrides, logger });
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const systemd = lead.logger.child({ domain: 'systemd' });
  const notifier = createSystemdNotifier({
    env: process.env,
    onProblem: (problem) => {
      if (problem.kind === 'unavailable') systemd.warn({ reason: problem.reason }, 'systemd notifications unavailable');
      else systemd.error({ args: problem.args, err: problem.error }, 'systemd-notify failed');
    },
  });
  notifier.ready();
  notifier.status(`lead ${config.lead_id} serving on ${config.http.host}:${config.http.port}`);
  const stopWatchdog = startWatchdogPings(notifier);
  return new Promise<number>((resolve) => {
    const onStop = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onReload);
      // Armed until the process ends: a step that timed out may leave a handle open that
      // would keep the process alive; unref'd, it never delays an exit that is happening anyway.
      const deadline = setTimeout(() => {
        lead.logger.fatal({ signal, timeout_ms: config.shutdown.timeout_ms }, `still running shutdown.timeout_ms (${config.shutdown.timeout_ms} ms) after ${signal}; exiting ${EXIT.FAILURE}`);
        exit(EXIT.FAILURE);
      }, config.shutdown.timeout_ms);
      deadline.unref();
      stopWatchdog();
      notifier.stopping();
      lead
        .stop(`received ${signal}`)
        .then(() => notifier.settled())
        .then(() => resolve(EXIT.OK))
        .catch((error: unknown) => {
          lead.logger.error({ err: error }, `shutdown failed; exiting ${EXIT.FAILURE}`);
          resolve(EXIT.FAILURE);
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
