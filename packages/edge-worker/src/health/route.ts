import type { Context } from 'hono';
import type { AppEnv } from '../app-env.js';
import { EDGE_AGENT_CLASS } from '../coordinate/selector.js';

/**
 * GET /v1/health: unauthenticated liveness, from the configuration alone (no Durable Object
 * call, no secrets). A misconfigured Worker answers 500 MISCONFIGURED from the runtime instead.
 */
export function healthRoute(c: Context<AppEnv>): Response {
  const { config, clock } = c.get('runtime');
  return c.json(
    {
      status: 'ok',
      agent_id: config.agentId,
      cluster_id: config.clusterId,
      agent_class: EDGE_AGENT_CLASS,
      capabilities: config.capabilities,
      now_local: clock.now(),
    },
    200,
    { 'cache-control': 'no-store' },
  );
}
