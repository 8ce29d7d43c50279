import { inboxPrefix, type Clock, type TrustStore } from '@mesh30k/shared';
import type { ApiServer, LeadStatusBody, MeshStatusBox, ReadinessCheck } from './api/index.js';
import type { LeadBreakers } from './breakers/index.js';
import type { ConflictDesk } from './conflicts/index.js';
import type { FreezeControl, ModeReactions, Operations } from './control/index.js';
import type { EdgeTier } from './edge/index.js';
import type { DeadLetterDesk } from './dead-letters/index.js';
import type { RunJournal, ScatterEngine, Scheduler } from './scatter/index.js';
import type { LeadConfig } from './config/index.js';
import { LeadError } from './lib/errors.js';
import type { ControlState, IngestCounters } from './ingest/index.js';
import { logEvents } from './lib/event-log.js';
import { EventBus, LEAD_EVENTS } from './lib/events.js';
import { LimitCounters } from './lib/limit-counters.js';
import { createLogger, type Logger } from './lib/logger.js';
import { systemClock } from './lib/system-clock.js';
import { LeadCascades } from './lead-cascade.js';
import { leadChildStore } from './lead-child-store.js';
import { leadStatus, meshStatusBox, readiness, type StatusSources } from './lead-status.js';
import { NatsLink, type NatsLinkOptions } from './nats/nats-link.js';
import { readNkeySeed } from './nats-config/index.js';
import type { Registry, SweepReport } from './registry/index.js';
import { LeadStore } from './store/index.js';
import { KeyAnnouncements, addEnrollmentsFrom, type LeadIdentity } from './trust/index.js';
import { LEAD_SERVICES, type LeadService, type LeadServiceContext, type LeadServiceFactory } from './lead-service.js';
import { JobBoard } from './jobs/index.js';
import { buildApi } from './wiring/api.js';
import { buildConflicts } from './wiring/conflicts.js';
import { buildControl } from './wiring/control.js';
import { buildHa, type LeadHa } from './wiring/ha.js';
import { buildOpsReplication } from './wiring/ops-replication.js';
import { buildIngest } from './wiring/ingest.js';
import { buildOperations } from './wiring/operations.js';
import { MODE_OVERRIDE_KEY, buildRegistry, type RegistryOverrides } from './wiring/registry.js';
import { buildReplication, followedStateLoader, type LeadReplication } from './wiring/replication.js';
import { buildSensorIntake } from './wiring/sensors.js';
import { runStopSteps, stepTimeoutMs, type StopStep } from './wiring/stop-steps.js';
import { startLeadTimers } from './wiring/timers.js';
import { buildTrust } from './wiring/trust.js';

export { LEAD_SERVICES, type LeadService, type LeadServiceContext, type LeadServiceFactory } from './lead-service.js';

/** Logged once heartbeats can reach the lead; process-level tests and operators wait for it. */
export const INTAKE_OPEN_MESSAGE = 'taking heartbeats';

/** What a caller may replace; everything else is built from the config. */
export interface LeadOverrides extends RegistryOverrides {
  clock?: Clock;
  logger?: Logger;
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
  monotonic?: RegistryOverrides['monotonic'];
  /** What losing the HA lease does (config `ha`); default: exit 75 at once (wiring/ha.ts). */
  onLeaseLost?: Parameters<typeof buildHa>[0]['onLost'];
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
  /** Single lead, or (config `ha`) standby or active holder of the cluster's lease. */
  readonly ha: LeadHa;
  /** Mirroring and following of the shared state in JetStream (config store.backend). */
  readonly replication: LeadReplication;
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
 * The composition root: builds every subsystem from the config (each in its own factory under
 * wiring/), restores the registry, serves the API (even while NATS is unreachable), then
 * connects to NATS in the background and takes heartbeats once connected. Nothing is opened
 * at import time.
 */
export async function startLead(config: LeadConfig, overrides: LeadOverrides = {}): Promise<Lead> {
  const clock = overrides.clock ?? shiftedClock(systemClock, config.clock.shift_ms);
  const logger = overrides.logger ?? createLogger({ level: config.log.level, leadId: config.lead_id, clusterId: config.cluster_id, env: process.env });
  const timers = overrides.timers ?? true;
  const events = new EventBus((error, event) => logger.error({ err: error, event: event.name }, 'event listener failed'));
  events.on(logEvents(logger.child({ domain: 'events' })));
  const store = LeadStore.open(config.data_dir, { busyTimeoutMs: config.store.busy_timeout_ms, sensorHistoryPerSensor: config.sensors.history_per_sensor });
  // Closed last built first, at stop and when start-up fails half way.
  const cleanups: StopStep[] = [['close the database', () => store.close()]];
  try {
    const natsOptions: NatsLinkOptions = {
      servers: config.nats.servers,
      name: config.nats.name ?? `mesh-lead-${config.lead_id}`,
      tls: config.nats.tls,
      credentialsFile: config.nats.credentials_file,
      nkeySeed: config.nats.nkey_seed_file === undefined ? undefined : readNkeySeed(config.nats.nkey_seed_file, 'nats.nkey_seed_file'),
      inboxPrefix: inboxPrefix(config.lead_id),
      reconnectWaitMs: config.nats.reconnect_wait_ms,
    };
    const link = new NatsLink({ clock, events, logger: logger.child({ domain: 'nats' }) }, natsOptions);
    // The followed state's highest epoch, once the replication below exists: the next lease epoch goes above it.
    const epochFloors: Array<() => number> = [];
    const ha = buildHa({ config, logger, nats: natsOptions, connected: () => link.isConnected(), onLost: overrides.onLeaseLost, epochFloor: () => Math.max(0, ...epochFloors.map((floor) => floor())) });
    const trusted = await buildTrust({ config, clock, store, events, logger, leaseEpoch: config.ha.enabled ? () => ha.epoch() : undefined });
    const { identity, trust, resolveKey, enrollmentDesk } = trusted;
    cleanups.push(['drain and close NATS', () => link.close()]);
    const replication = buildReplication({ config, store, logger, now: () => clock.now(), epoch: () => ha.epoch(), modeOverrideKey: MODE_OVERRIDE_KEY });
    cleanups.push(['stop replication', () => replication.stop()]);
    // The operations side (runs in flight, ACKs, history, idempotency keys, conflicts, dead letters).
    // The API's jobs (operations, delegations, cascades, heal); with the JetStream store also published and followed.
    const jobs = new JobBoard(() => clock.now());
    const opsReplication = buildOpsReplication({ config, logger, store, ha, now: () => clock.now(), jobs });
    epochFloors.push(() => replication.highestEpoch());
    if (opsReplication !== undefined) epochFloors.push(() => opsReplication.follower.highestEpoch);

    // Set once the heartbeat subscription is on the server: readiness and liveness wait for it.
    let intakeIsOpen = false;
    const { guard, prober, snapshot, registry, edge, clockStepMs, restored, setModeOverride, takeOver } = buildRegistry({
      config,
      clock,
      events,
      store,
      logger,
      link,
      trust: trusted,
      intakeIsOpen: () => intakeIsOpen,
      cleanups,
      overrides,
      deferRestore: replication.deferRestore,
      onDirtyWritten: replication.onDirtyWritten,
    });
    let registryLoaded = true;

    const limits = new LimitCounters();
    const { counters, verifier, control, ingest, sessions } = buildIngest({ config, clock, events, logger, store, registry, trust: trusted.trustCache, resolveKey, trustVersion: () => trusted.trust.version, identity, limits, clockStepMs, cleanups, leaseEpoch: config.ha.enabled ? () => ha.epoch() : undefined });
    // The guard counts a backlog (waiting for verification, or read and not yet handled), and any beat or HELLO it shed, as the lead's own slowness (guard-rails.ts).
    guard.watchBacklog(() => (verifier.backlog ?? 0) + ingest.queued, () => counters.refusedBy('OVERLOADED') + counters.handshakesRefusedBy('OVERLOADED'));
    const { publishFrame, freeze, breakers } = buildControl({ config, clock, logger, link, identity, control, registry, prober, store });
    const conflicts = buildConflicts({ config, clock, logger, store, link, identity, resolveKey, limits, timers, cleanups, mirror: opsReplication?.mirror });
    const sensorIntake = buildSensorIntake({ config, clock, logger, store, identity, resolveKey, mirror: opsReplication?.mirror });
    const ops = buildOperations({
      config,
      clock,
      logger,
      events,
      store,
      link,
      identity,
      resolveKey,
      enrolledAgents: () => trust.trustedAgentIds(),
      registry,
      snapshot,
      breakers,
      control,
      freeze,
      conflicts: conflicts.desk,
      escalate: conflicts.escalate,
      verifier,
      edge,
      limits,
      publishFrame,
      guard,
      scheduler: overrides.scheduler,
      ...(opsReplication === undefined ? {} : { wrapJournal: (journal: RunJournal) => opsReplication.mirror.journal(journal), startEngine: false }),
    });
    const { engine, reactions, deadLetters } = ops;
    if (opsReplication !== undefined) {
      // The runs in flight come from the replicated journal: read to its end before resuming them.
      ha.whenActive(() => {
        void opsReplication.takeOver(ops.operations).then(() => engine.start());
        return () => undefined;
      });
    }

    // Workers are probed from now on (those restored from the database too); stopped before the store closes.
    ha.whenActive(() => {
      edge.prober.start();
      return () => undefined;
    });
    cleanups.push(['edge prober', () => edge.prober.stop()]);

    const cascadeLog = logger.child({ domain: 'cascade' });
    const childStore = leadChildStore(store.cascadeChildren, cascadeLog);
    const cascades = new LeadCascades({ config, clock, logger: cascadeLog, identity, registry, control, trust, resolveKey, engine, timers, childStore });
    const serviceContext: LeadServiceContext = { config, clock, logger, identity, registry, events, store, engine, breakers, freeze, conflicts: conflicts.desk, link };
    const services: LeadService[] = [cascades, ...[...LEAD_SERVICES, ...(overrides.services ?? [])].map((factory) => factory(serviceContext))];

    let lastSweep: SweepReport | undefined;
    const sweep = async (): Promise<SweepReport> => (lastSweep = await registry.sweep());
    const checkBreakers = async (): Promise<void> => {
      await breakers.check();
    };
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
      mesh: () =>
        meshStatusBox({
          registry,
          now: () => clock.now(),
          frozen: () => freeze.isLeadFrozen(),
          breakers: () => breakers.list(),
          conflictsSince: (since) => conflicts.desk.countSince(since),
          operations: () => engine.stats(),
          lastCascade: () => services.reduce<MeshStatusBox['last_cascade']>((last, service) => service.lastCascade?.() ?? last, null),
          children: () => (cascades.service?.children() ?? []).map((child) => ({ summary: child.summary, live: child.liveness === 'live' })),
        }),
      alert: () => reactions.alert,
    };
    const api = await buildApi({
      config,
      clock,
      events,
      logger,
      store,
      trust: trusted,
      registry,
      setModeOverride,
      prober,
      snapshot,
      edge,
      counters,
      limits,
      freeze,
      breakers,
      ops,
      sensorIntake,
      cascades,
      status: () => leadStatus(sources),
      readiness: () => readiness(sources),
      cleanups,
      jobs,
      replication: () => replication.stats(),
      ...(sessions === undefined ? {} : { agentsInSession: () => sessions.agentsInSession }),
      ...(opsReplication === undefined ? {} : { idempotency: opsReplication.idempotency }),
      ...(config.ha.enabled ? { ha: () => ({ active: ha.role() === 'active', leaseOpenFailures: ha.leaseOpenFailures(), rideThroughs: ha.rideThroughs() }) } : {}),
    });

    let intakeOpen: () => void = () => undefined;
    const intake = new Promise<void>((resolve) => (intakeOpen = resolve));
    const announcements = new KeyAnnouncements({ clock, trust, roots: trusted.roots, store, logger: logger.child({ domain: 'trust' }), leadId: config.lead_id, replies: { leadId: config.lead_id, signer: identity.signer, clock } });
    let servicesStarted: Promise<void> = Promise.resolve();
    const loadFollowedState = followedStateLoader({ takeOver, store, trust, control, breakers, freeze, logger });
    link.onConnected((nc) => replication.connected(nc));
    if (opsReplication !== undefined) link.onConnected((nc) => opsReplication.connected(nc));
    // With HA, a standby runs none of this until it holds the lease (wiring/ha.ts); with the
    // jetstream store, not before the shared state is followed and loaded (wiring/replication.ts).
    link.onConnected(ha.gate(replication.gate((nc) => {
      announcements.subscribe(nc);
      enrollmentDesk.subscribe(nc);
      ops.transport.connected();
      conflicts.intake.subscribe(nc);
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
    }, loadFollowedState)));
    link.onLost(() => guard.noteTransportLost());
    link.onResumed(() => guard.noteTransportResumed());
    link.start();

    const stopTimers = timers ? ha.whenActive(() => startLeadTimers({ config, logger, sweep, checkBreakers, pruneDeadLetters: () => void deadLetters.prune(), snapshot })) : () => undefined;
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
      operations: ops.operations,
      freeze,
      breakers,
      conflicts: conflicts.desk,
      deadLetters,
      modeReactions: reactions,
      services,
      cascades,
      edge,
      restored,
      intake,
      ha,
      replication,
      sweep,
      checkBreakers,
      flushSnapshot: () => snapshot.flush(),
      reloadEnrollments: () =>
        config.trust.enrollments === undefined
          ? Promise.resolve({ added: 0, refused: 0 })
          : addEnrollmentsFrom(config.trust.enrollments, { clock, store, logger: logger.child({ domain: 'trust' }), trust, roots: trusted.roots }),
      status: () => leadStatus(sources),
      readiness: () => readiness(sources),
      stop(reason = 'stop requested') {
        stopping ??= (async () => {
          events.emit({ name: LEAD_EVENTS.leadStopping, at: clock.now(), reason });
          stopTimers();
          snapshot.stop();
          // Each step on its own and bounded (wiring/stop-steps.ts).
          const steps: StopStep[] = [
            ['lead services started', () => servicesStarted],
            ...[...services].reverse().map((service): StopStep => [`service ${service.name}`, () => service.stop()]),
            // Queued operations are refused, running ones decided and written to the history.
            ['scatter engine', () => engine.stop()],
            ['conflict intake', () => conflicts.intake.unsubscribe()],
            ['sensor intake', () => sensorIntake.unsubscribe()],
            ['conflicts settled', () => conflicts.desk.settle()],
            ['heartbeat intake', () => ingest.stop()],
            ['key announcements', () => announcements.unsubscribe()],
            ['enrollment requests', () => enrollmentDesk.unsubscribe()],
            ['mode reactions settled', () => reactions.settle()],
            ['final snapshot', () => snapshot.flush()],
            ['replicated changes written', () => replication.settled()],
            // Nothing acts any more: a standby may take over now rather than after the TTL.
            ['release the lease', () => ha.stop()],
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

/** The system clock moved by `shiftMs` (config clock.shift_ms, a test aid; 0 in production). */
function shiftedClock(base: Clock, shiftMs: number): Clock {
  return shiftMs === 0 ? base : Object.freeze({ now: () => base.now() + shiftMs });
}
