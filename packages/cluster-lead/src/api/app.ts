import { Hono } from 'hono';
import type { Logger } from '../lib/logger.js';
import type { AgentView } from '../registry/index.js';
import { agentJson } from './agent-json.js';
import { ApiError, problemResponse } from './problem.js';

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
  mode: string;
  panic: boolean;
  healthy_share: number;
  frozen: boolean;
  config_epoch: number;
  guard: { factor: number; reasons: readonly string[] };
  nats: { connected: boolean };
  ingest: { accepted: number; refused: Record<string, number>; verify_threads: number };
}

/** What the API reads; the composition root wires these to the live components. */
export interface ApiDeps {
  status: () => LeadStatusBody;
  agent: (agentId: string) => AgentView | undefined;
  readiness: () => ReadinessCheck[];
  logger: Logger;
}

/**
 * The lead's minimal HTTP API: status, one agent, liveness and readiness. Operations come
 * with the scatter-gather engine. Tested with app.request(), no server needed.
 */
export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();

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

  app.get('/v1/status', (c) => c.json(deps.status()));

  app.get('/v1/agents/:id', (c) => {
    const id = c.req.param('id');
    const agent = deps.agent(id);
    if (agent === undefined) throw new ApiError(404, 'NOT_FOUND', 'Unknown agent', `no agent "${id}" in this lead's registry`);
    return c.json(agentJson(agent));
  });

  app.notFound((c) => problemResponse(c, new ApiError(404, 'NOT_FOUND', 'Not found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    if (!(error instanceof ApiError)) deps.logger.error({ err: error, path: c.req.path }, 'API request failed');
    return problemResponse(c, error);
  });
  return app;
}
