import { delegationResultJson, delegationRoutes, type DelegationDesk } from '../delegation/index.js';
import { Hono } from 'hono';
import type { Logger } from '../lib/logger.js';
import type { AgentView } from '../registry/index.js';
import type { BreakerStatus, MeshMode } from '@mesh30k/shared';
import { agentRoutes, type AgentAction } from './agents-routes.js';
import { PageTokens } from './page-token.js';
import { idempotency } from './idempotency.js';
import { MemoryIdempotencyStore, type IdempotencyStore } from './idempotency-store.js';
import { cascadeJobEnd, cascadeRoutes, type CascadesApi } from './cascade-routes.js';
import { edgeRoutes, type EdgeAgentsApi } from './edge-routes.js';
import { enrollmentRoutes, type EnrollmentsApi } from './enrollment-routes.js';
import { controlRoutes, type ControlApi } from './control-routes.js';
import { meshRoutes, type BreakersApi, type ModeApi } from './mesh-routes.js';
import { breakerHistoryRoutes, type BreakerHistoryApi } from './breaker-history-routes.js';
import type { HealResult } from '../control/index.js';
import type { ConflictQuery, StoredConflict } from '../store/index.js';
import type { OperationsApi } from './operations-routes.js';
import { standbyGuard } from './standby-guard.js';
import { JOB_COPY_WAIT_MS, jobRoutes, type AckSource } from './jobs-routes.js';
import { JobBoard } from '../jobs/index.js';
import { ApiError, problemResponse } from './problem.js';
import { apiGuard, type ApiGuardOptions } from './auth/guard.js';
import { ApiCounters, MIDDLEWARE_METHOD, requestContext } from './request-context.js';
import { openApiDocument } from './openapi/index.js';
import { jsonBodiesOnly, responseHeaders, wrongMethod } from './http-semantics.js';
import type { DeadLetterDesk } from '../dead-letters/index.js';
import { deadLetterRoutes } from './dead-letters-routes.js';
import { DEFAULT_DEEP_HEALTH_CACHE_MS, cachedDeepProbe, type DeepProbeResult } from './deep-health.js';
import { registerLeadMetrics, type MetricsSources } from './metrics.js';
import { Registry } from 'prom-client';
import { sensorRoutes } from './sensor-routes.js';
import { historyRoutes, type AgentHistorySource } from './history-routes.js';
import { treeRoutes, type TreeSource } from './tree-routes.js';
import { DEFAULT_SENSOR_STALE_AFTER_MS } from '../sensors/sensor-health.js';
import type { SensorReadings } from '../store/index.js';

/** Seconds a client should wait before asking /health/ready again. */
export const READY_RETRY_AFTER_S = 5;

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface LeadStatusBody {
  lead_id: string;
  cluster_id: string;
  agents: { total: number; by_state: Record<string, number>; retired: number; quarantine_deferred: number };
  mode: MeshMode;
  panic: boolean;
  healthy_share: number;
  frozen: boolean;
  config_epoch: number;
  guard: { factor: number; reasons: readonly string[] };
  nats: { connected: boolean };
  ingest: { accepted: number; refused: Record<string, number>; verify_threads: number };
  /** The spec's status box, as data. */
  mesh: MeshStatusBox;
  /** Raised by a degradation mode that alerts operators (DEGRADED_SEVERE, EMERGENCY). */
  alert?: { active: boolean; since: number | null; mode: MeshMode; reason: string | null };
}

export interface MeshStatusBox {
  agents_active: number;
  agents_total: number;
  sectors_healthy: number;
  sectors_total: number;
  /** Mean impedance score of the routable agents; null with none. */
  mean_impedance: number | null;
  conflicts_last_hour: number;
  mode: MeshMode;
  frozen: boolean;
  /** The last cascade this lead ran or forwarded; null until the cascade engine reports one. */
  last_cascade: { cascade_id: string; at: number; status: string } | null;
  operations: { in_flight: number; queued: number };
}

/** Who may call the API and how much: operators, clock, limits (src/api/auth). */
export type ApiAccess = Omit<ApiGuardOptions, 'logger' | 'counters'>;

/** What the API reads; the composition root wires these to the live components. */
export interface ApiDeps {
  access: ApiAccess;
  /** Response and auth-failure counts (for /metrics); one is made when absent. */
  counters?: ApiCounters;
  status: () => LeadStatusBody;
  agent: (agentId: string) => AgentView | undefined;
  /** Every agent id, for GET /v1/agents; absent, the list is empty. */
  agentIndex?: { ids: () => Iterable<string>; size: () => number };
  /** Operator quarantine, recover and retire; absent, those routes answer 404. */
  agentAction?: (agentId: string, action: AgentAction, reason: string) => AgentView | undefined;
  /** Answers to POSTs with an Idempotency-Key; in memory when absent. */
  idempotency?: IdempotencyStore;
  /** Signs page tokens; one per process when absent. */
  pageTokens?: PageTokens;
  readiness: () => ReadinessCheck[];
  logger: Logger;
  /** Scatter-gather operations; absent, POST /v1/operations answers 404. */
  operations?: OperationsApi;
  /** Every job started through the API; one is made when absent. */
  jobs?: JobBoard;
  /** ACKs of ask operations, and who to ask; absent, kind ask answers 404. */
  acks?: AckSource;
  sample?: (n: number, capability: string | undefined) => string[];
  /** Freeze and thaw. */
  control?: ControlApi;
  breakers?: () => BreakerStatus[];
  /** Operator override of one breaker (POST /v1/breakers/:id/force). */
  forceBreaker?: BreakersApi['force'];
  /** The last breaker transitions (GET /v1/breakers/history); absent, the route answers 404. */
  breakerHistory?: BreakerHistoryApi;
  mode?: ModeApi;
  /** One real signed probe round trip to an active agent (GET /health/deep); absent, 404. */
  deepProbe?: () => Promise<DeepProbeResult>;
  /** How long one deep probe's result answers GET /health/deep (api.deep_health_cache_ms). */
  deepProbeCacheMs?: number;
  /** Enroll and revoke agents; absent, the routes answer 404. */
  enrollments?: EnrollmentsApi;
  /** What GET /metrics reports; absent, it answers 404. */
  metrics?: Omit<MetricsSources, 'api'>;
  /** The registry /metrics adds its families to (holding the process metrics); a fresh one when absent. */
  metricsRegistry?: Registry;
  conflicts?: (query: ConflictQuery) => StoredConflict[];
  heal?: (target: string, by: string) => HealResult;
  /** Cascades over this lead's subtree (src/cascade); absent, the routes answer 404. */
  cascades?: CascadesApi;
  /** Workers this lead dials (src/edge); absent, the routes answer 404. */
  edgeAgents?: EdgeAgentsApi;
  /** Tasks handed to the best agent, reassigned on failure (src/delegation). */
  delegations?: DelegationDesk;
  /** The lead's dead letters (src/dead-letters); absent, the routes answer 404. */
  deadLetters?: DeadLetterDesk;
  /** Field sensor readings (SENSOR_EVENTs the lead stored); absent, the routes answer 404. */
  sensors?: Pick<SensorReadings, 'latest' | 'history'>;
  /** Periodic sensors not read for longer are flagged stale (lead config sensors.stale_after_ms). */
  sensorStaleAfterMs?: number;
  /** An agent's recent impedance, clock and outcomes (GET /v1/agents/:id/history); absent, 404. */
  agentHistory?: AgentHistorySource;
  /** This lead and its child leads (GET /v1/tree); absent, 404. */
  tree?: TreeSource;
  /** The dashboard under /ui/ (src/web); it checks its own sessions, so it sits before the guard. */
  web?: { readonly app: Hono };
  /** True while this lead is an HA standby: every /v1 request that changes something answers 503. */
  standby?: () => boolean;
}

/**
 * The lead's management API (docs/api.md): every route but /health/* authenticated, then
 * status, agents, operations, freeze and thaw, breakers... Tested with app.request(), no server needed.
 */
export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const counters = deps.counters ?? new ApiCounters();
  app.use('*', responseHeaders());
  app.use('*', requestContext(deps.logger, counters));
  app.use('*', jsonBodiesOnly());
  if (deps.web !== undefined) app.route('/', deps.web.app);
  app.use('*', ...apiGuard({ ...deps.access, logger: deps.logger, counters }));
  if (deps.standby !== undefined) app.use('/v1/*', standbyGuard(deps.standby));
  app.use('/v1/*', idempotency(deps.idempotency ?? new MemoryIdempotencyStore(), deps.access.now));

  app.get('/health/live', (c) => c.json({ status: 'live' }));

  app.get('/health/ready', (c) => {
    const checks = deps.readiness();
    const failing = checks.filter((check) => !check.ok);
    if (failing.length > 0) {
      throw new ApiError(503, 'NOT_READY', 'Not ready', `not ready: ${failing.map((check) => check.detail ?? check.name).join('; ')}`, {
        headers: { 'Retry-After': String(READY_RETRY_AFTER_S) },
        fields: { checks },
      });
    }
    return c.json({ status: 'ready', checks });
  });

  if (deps.deepProbe !== undefined) {
    const deepProbe = cachedDeepProbe(deps.deepProbe, deps.access.now, deps.deepProbeCacheMs ?? DEFAULT_DEEP_HEALTH_CACHE_MS);
    app.get('/health/deep', async (c) => {
      const probe = await deepProbe();
      if (!probe.ok) {
        throw new ApiError(503, 'NOT_READY', 'Deep check failed', `no agent answered a signed probe: ${probe.detail}`, { headers: { 'Retry-After': String(READY_RETRY_AFTER_S) } });
      }
      return c.json({ status: 'ok', agent_id: probe.agentId, rtt_ms: probe.rttMs, age_ms: probe.ageMs });
    });
  }

  app.get('/v1/status', (c) => c.json(deps.status()));
  app.get('/v1/openapi.json', (c) => c.json(openApiDocument()));

  const metrics = deps.metrics;
  if (metrics !== undefined) {
    // The families join the registry at the first scrape: an app nobody scrapes registers nothing.
    let page: { registry: Registry; text: () => string } | undefined;
    app.get('/metrics', async (c) => {
      if (page === undefined) {
        const registry = deps.metricsRegistry ?? new Registry();
        page = { registry, text: registerLeadMetrics(registry, { ...metrics, api: counters }) };
      }
      // prom-client's page ends with a newline; the text families follow it, apart by a blank line.
      const text = page.text();
      const body = await page.registry.metrics();
      return c.body(text === '' ? body : `${body}\n${text}`, 200, { 'content-type': page.registry.contentType });
    });
  }

  const tokens = deps.pageTokens ?? new PageTokens();
  const index = deps.agentIndex ?? { ids: () => [], size: () => 0 };
  if (deps.sensors !== undefined) {
    const routes = sensorRoutes({ readings: deps.sensors, agent: deps.agent, now: deps.access.now, staleAfterMs: deps.sensorStaleAfterMs ?? DEFAULT_SENSOR_STALE_AFTER_MS }, tokens);
    app.route('/v1/sensors', routes.sensors);
    app.route('/v1/agents', routes.agentSensors);
  }
  if (deps.agentHistory !== undefined) app.route('/v1/agents', historyRoutes(deps.agentHistory));
  if (deps.tree !== undefined) app.route('/v1/tree', treeRoutes(deps.tree));
  app.route('/v1/agents', agentRoutes({ agent: deps.agent, agentIds: index.ids, size: index.size, ...(deps.agentAction === undefined ? {} : { act: deps.agentAction }) }, tokens));

  const board = deps.jobs ?? new JobBoard(deps.access.now);
  app.route(
    '/v1/operations',
    jobRoutes({ board, tokens, ...(deps.operations === undefined ? {} : { operations: deps.operations }), ...(deps.acks === undefined ? {} : { acks: deps.acks }), ...(deps.sample === undefined ? {} : { sample: deps.sample }) }),
  );
  if (deps.control !== undefined) app.route('/v1', controlRoutes(deps.control));
  const cascades = deps.cascades;
  if (cascades !== undefined) {
    app.route(
      '/v1/cascades',
      cascadeRoutes(cascades, async (id) => {
        if (!board.has(id)) {
          board.start({
            id,
            kind: 'cascade',
            state: 'RUNNING',
            poll: () => {
              const view = cascades.get(id);
              return view === undefined ? undefined : cascadeJobEnd(view);
            },
          });
        }
        await board.copied(id, JOB_COPY_WAIT_MS);
        return `/v1/operations/${encodeURIComponent(id)}`;
      }),
    );
  }
  if (deps.edgeAgents !== undefined) app.route('/v1/edge-agents', edgeRoutes(deps.edgeAgents, tokens));
  if (deps.delegations !== undefined) {
    app.route(
      '/v1/delegations',
      delegationRoutes(deps.delegations, async (id, done) => {
        board.start({
          id,
          kind: 'delegation',
          state: 'RUNNING',
          done: done.then((result) => {
            const json = delegationResultJson(result);
            return result.status === 'SUCCEEDED' ? { ok: true, result: json } : { ok: false, code: 'DELEGATION_FAILED', message: result.reason ?? 'every attempt failed', result: json };
          }),
        });
        await board.copied(id, JOB_COPY_WAIT_MS);
        return `/v1/operations/${encodeURIComponent(id)}`;
      }),
    );
  }
  if (deps.enrollments !== undefined) app.route('/v1/enrollments', enrollmentRoutes(deps.enrollments));
  if (deps.deadLetters !== undefined) app.route('/v1/dead-letters', deadLetterRoutes(deps.deadLetters, tokens));
  if (deps.breakerHistory !== undefined) app.route('/v1/breakers', breakerHistoryRoutes(deps.breakerHistory, deps.access.now));
  const breakers = deps.breakers;
  app.route(
    '/v1',
    meshRoutes({
      tokens,
      board,
      ...(deps.mode === undefined ? {} : { mode: deps.mode }),
      ...(breakers === undefined ? {} : { breakers: { list: breakers, ...(deps.forceBreaker === undefined ? {} : { force: deps.forceBreaker }) } }),
      ...(deps.conflicts === undefined ? {} : { conflicts: deps.conflicts }),
      ...(deps.heal === undefined ? {} : { heal: deps.heal }),
    }),
  );

  counters.zeroRoutes(app.routes.filter((r) => r.method !== MIDDLEWARE_METHOD).map((r) => ({ method: r.method, route: r.path })));
  app.notFound((c) => problemResponse(c, wrongMethod(app.routes, c.req.method, c.req.path) ?? new ApiError(404, 'NOT_FOUND', 'Not found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    if (!(error instanceof ApiError)) deps.logger.error({ err: error, request_id: c.get('requestId'), caller: c.get('caller')?.operatorId, path: c.req.path }, 'API request failed');
    return problemResponse(c, error);
  });
  return app;
}
