/**
 * GET /v1/agents (filtered, paginated by agent id), GET /v1/agents/:id, and the operator
 * actions POST /v1/agents/:id/quarantine|recover|retire.
 */
import { AgentClass, OperationalState } from '@mesh30k/shared';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AgentView } from '../registry/index.js';
import { agentJson } from './agent-json.js';
import type { PageTokens } from './page-token.js';
import { ApiError } from './problem.js';
import { PageParams, readQuery } from './query.js';
import { readJsonBody } from './read-body.js';
import type { AgentActionSchema, Answer } from './response-schemas.js';

export interface AgentsApi {
  agent(agentId: string): AgentView | undefined;
  /** Every agent id, any order; called per page, so it must be cheap (no copy of views). */
  agentIds(): Iterable<string>;
  size(): number;
  act?(agentId: string, action: AgentAction, reason: string): AgentView | undefined;
}

export type AgentAction = 'quarantine' | 'recover' | 'retire';

export const ListQuery = z.strictObject({
  state: OperationalState.optional(),
  class: AgentClass.optional(),
  capability: z.string().min(1).max(64).optional(),
  cluster: z.string().min(1).max(64).optional(),
  ...PageParams,
});

export const ActionBody = z.strictObject({ reason: z.string().min(1).max(256).optional() });

/** Ids sorted once per registry size: agents join but never leave the registry. */
function sortedIds(agents: AgentsApi): () => readonly string[] {
  let cached: { size: number; ids: string[] } | undefined;
  return () => {
    const size = agents.size();
    if (cached?.size !== size) cached = { size, ids: [...agents.agentIds()].sort() };
    return cached.ids;
  };
}

/** First index whose id sorts after `cursor`. */
function after(ids: readonly string[], cursor: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] ?? '') <= cursor) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function agentRoutes(agents: AgentsApi, tokens: PageTokens): Hono {
  const app = new Hono();
  const ids = sortedIds(agents);

  app.get('/', (c) => {
    const { page_size, page_token, ...filters } = readQuery(c, ListQuery);
    const start = page_token === undefined ? 0 : after(ids(), tokens.read('agents', filters, page_token));
    const all = ids();
    const page: Record<string, unknown>[] = [];
    let i = start;
    for (; i < all.length && page.length < page_size; i++) {
      const view = agents.agent(all[i] ?? '');
      if (view === undefined || !matches(view, filters)) continue;
      page.push(agentJson(view));
    }
    const last = page.at(-1)?.agent_id;
    const more = i < all.length && typeof last === 'string';
    return c.json({ agents: page, ...(more ? { next_page_token: tokens.issue('agents', filters, last) } : {}) });
  });

  app.get('/:id', (c) => c.json(agentJson(known(agents, c.req.param('id')))));

  for (const action of ['quarantine', 'recover', 'retire'] as const) {
    app.post(`/:id/${action}`, async (c) => {
      const id = c.req.param('id');
      known(agents, id);
      const body = await readJsonBody(c, ActionBody, action);
      if (agents.act === undefined) throw new ApiError(404, 'NOT_FOUND', 'Not available', `agent ${action} is not available on this lead`);
      const view = agents.act(id, action, body.reason ?? `operator ${c.get('caller').operatorId}`);
      if (view === undefined) throw unknownAgent(id);
      return c.json({ agent_id: id, action, state: view.state, health: view.health.state } satisfies Answer<typeof AgentActionSchema>);
    });
  }
  return app;
}

function matches(view: AgentView, filters: { state?: string | undefined; class?: string | undefined; capability?: string | undefined; cluster?: string | undefined }): boolean {
  return (
    (filters.state === undefined || view.state === filters.state) &&
    (filters.class === undefined || view.agentClass === filters.class) &&
    (filters.capability === undefined || view.capabilities.includes(filters.capability)) &&
    (filters.cluster === undefined || view.clusterId === filters.cluster)
  );
}

const unknownAgent = (id: string) => new ApiError(404, 'NOT_FOUND', 'Unknown agent', `no agent "${id}" in this lead's registry`);

function known(agents: AgentsApi, id: string): AgentView {
  const view = agents.agent(id);
  if (view === undefined) throw unknownAgent(id);
  return view;
}
