/**
 * The management API wired to the lead's components: authentication and limits from the
 * config, every route's port, and the metrics it exposes. Served even while NATS is down.
 */
import type { Clock } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { Registry } from 'prom-client';
import { SqliteIdempotencyStore, type IdempotencyStore, createApi, resolveApiTransport, loadOperatorDirectory, pendingEnrollmentJson, startApiServer, type ApiServer, type LeadStatusBody, type ReadinessCheck } from '../api/index.js';
import type { LeadBreakers } from '../breakers/index.js';
import type { LeadConfig } from '../config/index.js';
import { heal, type FreezeControl } from '../control/index.js';
import { registrationFromEnrollment, type EdgeTier } from '../edge/index.js';
import type { IngestCounters } from '../ingest/index.js';
import type { JobBoard } from '../jobs/index.js';
import type { LeadCascades } from '../lead-cascade.js';
import type { LimitCounters } from '../lib/limit-counters.js';
import type { EventBus } from '../lib/events.js';
import type { Logger } from '../lib/logger.js';
import { registerProcessMetrics, startEventLoopDelayMetrics } from '../metrics/index.js';
import type { Prober } from '../registry/index.js';
import type { SensorIntake } from '../sensors/index.js';
import type { LeadStore, SnapshotWriter } from '../store/index.js';
import type { LeadOperations } from './operations.js';
import type { LeadRegistry } from './registry.js';
import type { StopStep } from './stop-steps.js';
import { createWebUi } from '../web/index.js';
import type { ReplicationStats } from '../replication/index.js';
import { registerReplicationMetrics } from '../replication/metrics.js';
import type { LeadTrust } from './trust.js';

export interface ApiWiringDeps {
  readonly config: LeadConfig;
  /** The API's jobs (the board the JetStream store's mirror publishes). */
  readonly jobs: JobBoard;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: LeadStore;
  readonly trust: LeadTrust;
  readonly registry: LeadRegistry['registry'];
  readonly setModeOverride: LeadRegistry['setModeOverride'];
  readonly prober: Prober;
  readonly snapshot: SnapshotWriter;
  readonly edge: EdgeTier;
  readonly counters: IngestCounters;
  readonly limits: LimitCounters;
  readonly freeze: FreezeControl;
  readonly breakers: LeadBreakers;
  readonly ops: LeadOperations;
  readonly sensorIntake: SensorIntake;
  readonly cascades: LeadCascades;
  /** The lead's event bus: the dashboard's live feed listens to it. */
  readonly events: EventBus;
  readonly status: () => LeadStatusBody;
  readonly readiness: () => ReadinessCheck[];
  readonly cleanups: StopStep[];
  /** The shared state's replication (null with store.backend sqlite: no families then). */
  readonly replication?: () => ReplicationStats | null;
  /** Stored answers to POSTs with an Idempotency-Key; default: the lead's SQLite table. */
  readonly idempotency?: IdempotencyStore;
  /** Agents beating on a session key now; absent in ed25519 heartbeat mode. */
  readonly agentsInSession?: () => number;
  /** With config `ha`: the lease's state, for /metrics and to refuse changes while a standby. */
  readonly ha?: () => { active: boolean; leaseOpenFailures: number; rideThroughs: { started: number; blocked: number } };
}

/** How many of the best agents the deep health check tries before it gives up. */
const DEEP_PROBE_CANDIDATES = 3;

export async function buildApi(deps: ApiWiringDeps): Promise<ApiServer> {
  const { config, clock, logger, store, registry, breakers, ops, limits, ha } = deps;
  const { enrollmentDesk, roots } = deps.trust;
  const edgeDirectory = deps.edge.directory;
  // HTTPS, or plain HTTP where explicitly allowed on loopback: refused before anything listens.
  const transport = await resolveApiTransport(config.http);
  // One registry per lead process: prom-client's process and Node metrics, the event-loop
  // histogram (its own monitor: the guard rails' is read and reset by the sweep), then the API's families.
  const metricsRegistry = new Registry();
  registerProcessMetrics(metricsRegistry);
  deps.cleanups.push(['event-loop histogram', startEventLoopDelayMetrics(metricsRegistry, 'mesh_lead')]);
  const replication = deps.replication;
  const replicating = replication?.();
  if (replication !== undefined && replicating !== null && replicating !== undefined) registerReplicationMetrics(metricsRegistry, () => replication() ?? replicating);
  const operators = await loadOperatorDirectory(config.api.operators);
  if (operators.size === 0) logger.warn('no API operators configured (api.operators): every /v1 route answers 401; see mesh-lead operator-key');
  const apiLogger = logger.child({ domain: 'api' });
  const now = () => clock.now();
  const web = createWebUi({ access: { operators, ed25519: nodeEd25519, now }, status: deps.status, events: deps.events, breakerHistory: breakers.history, logger: apiLogger.child({ component: 'web' }) });
  deps.cleanups.push(['close the dashboard feed', () => web.close()]);
  const api = await startApiServer(
    createApi({
      web,
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
      status: deps.status,
      agent: (id) => registry.get(id),
      agentIndex: { ids: () => registry.agentIds(), size: () => registry.size },
      idempotency: deps.idempotency ?? new SqliteIdempotencyStore(store.db),
      agentAction: (id, action, reason) => {
        if (action === 'quarantine') registry.quarantine(id, reason);
        else if (action === 'recover') registry.recover(id, reason);
        else registry.retire(id, reason);
        return registry.get(id);
      },
      readiness: deps.readiness,
      logger: apiLogger,
      operations: ops.operations,
      jobs: deps.jobs,
      acks: ops.ackTap,
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
        const candidates = registry.select({ selector: { all: true }, order: 'impedance', limit: DEEP_PROBE_CANDIDATES, honourPanic: false }).agentIds;
        const misses: string[] = [];
        for (const agentId of candidates) {
          const result = await deps.prober.probe(agentId);
          if (result.ok) return { ok: true, agentId, rttMs: result.rttMs };
          misses.push(`${agentId}: ${result.reason}`);
        }
        return { ok: false, detail: candidates.length === 0 ? 'no active agent to probe' : misses.join('; ') };
      },
      metrics: {
        ingest: () => deps.counters.snapshot(),
        operations: ops.metrics,
        breakers: () => breakers.list(),
        mode: () => registry.mode,
        limits: () => limits.snapshot(),
        hardware: () => registry.hardwareSummary(),
        deadLetters: () => ({ stored: ops.deadLetters.count(), pruned: ops.deadLetters.pruned }),
        sensors: () => ({ ...deps.sensorIntake.stats(), known: store.sensors.count() }),
        sensorValues: () => {
          const max = config.sensors.metrics_max_series;
          const readings = max === 0 ? [] : store.sensors.latest({ limit: max });
          return { readings, omitted: Math.max(0, store.sensors.count() - readings.length) };
        },
        operatorAlert: () => ({ active: ops.reactions.alert.active, raised: ops.reactions.raised }),
        snapshots: () => {
          const health = deps.snapshot.health();
          return { failures: health.failures, failing: health.failingSince !== null };
        },
        ...(deps.ha === undefined ? {} : { ha: deps.ha }),
        ...(deps.agentsInSession === undefined ? {} : { agentsInSession: deps.agentsInSession }),
      },
      metricsRegistry,
      ...(ha === undefined ? {} : { standby: () => !ha().active }),
      mode: {
        get: () => ({ mode: registry.mode, computed: registry.computedMode, override: registry.modeOverride }),
        set: (override) => deps.setModeOverride(override),
      },
      sample: (n, capability) => registry.select({ selector: capability === undefined ? { all: true } : { capability }, order: 'impedance', limit: n }).agentIds,
      delegations: ops.delegations,
      deadLetters: ops.deadLetters,
      sensors: store.sensors,
      sensorStaleAfterMs: config.sensors.stale_after_ms,
      control: deps.freeze,
      breakers: () => breakers.list(),
      breakerHistory: breakers.history,
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
      cascades: deps.cascades,
      agentHistory: (id) => registry.recentHistory(id),
      tree: {
        self: { leadId: config.lead_id, clusterId: config.cluster_id, sectorId: config.sector_id ?? null, parentLeadId: config.parent?.lead_id ?? null },
        mesh: () => deps.status().mesh,
        children: () => deps.cascades.service?.children() ?? [],
      },
      edgeAgents: {
        register: (body) => {
          const outcome = edgeDirectory.register(body);
          return outcome.ok ? { ok: true, agent: outcome.agent, replaced: outcome.replaced } : { ok: false, path: outcome.path, message: outcome.message };
        },
        registerEnrolled: async (url, enrollment) => {
          const derived = await registrationFromEnrollment(roots, clock, url, enrollment);
          if (!derived.ok) return derived;
          const outcome = edgeDirectory.register(derived.registration);
          return outcome.ok ? { ok: true, agent: outcome.agent, replaced: outcome.replaced } : { ok: false, path: outcome.path, message: outcome.message };
        },
        remove: (id) => edgeDirectory.remove(id),
        snapshot: () => edgeDirectory.snapshot().map((agent) => ({ ...agent, probe: deps.edge.prober.probeState(agent.agent_id) })),
      },
    }),
    { host: config.http.host, port: config.http.port, transport },
  );
  deps.cleanups.push(['close the HTTP API', () => api.close()]);
  return api;
}
