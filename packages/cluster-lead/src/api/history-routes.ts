/**
 * GET /v1/agents/:id/history: the agent's last impedance scores, clock offsets and error bounds
 * (at most one per heartbeat interval) and its last operation outcomes, from the registry's
 * in-memory rings (registry/agent-history.ts). For the dashboard's agent page.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { HistorySample, OutcomeSample } from '../registry/index.js';
import { ApiError } from './problem.js';
import { intParam, readQuery } from './query.js';
import type { AgentHistoryJson } from './response-schemas.js';

export interface AgentHistoryView {
  readonly samples: readonly HistorySample[];
  readonly outcomes: readonly OutcomeSample[];
  readonly capacity: number;
  readonly spacingMs: number;
}

/** undefined: no such agent. */
export type AgentHistorySource = (agentId: string) => AgentHistoryView | undefined;

export const AgentHistoryQuery = z.strictObject({
  /** Only the newest this many samples. */
  samples: intParam(1, 1_000).optional(),
});

export function agentHistoryJson(agentId: string, view: AgentHistoryView, newest?: number): AgentHistoryJson {
  const samples = newest === undefined ? view.samples : view.samples.slice(-newest);
  return {
    agent_id: agentId,
    capacity: view.capacity,
    spacing_ms: view.spacingMs,
    samples: samples.map((s) => ({ at: s.at, impedance_score: s.impedanceScore, offset_ms: s.offsetMs, error_bound_ms: s.errorBoundMs })),
    outcomes: view.outcomes.map((o) => ({ at: o.at, operation_id: o.operationId, result: o.result, processing_ms: o.processingMs })),
  };
}

export function historyRoutes(history: AgentHistorySource): Hono {
  const app = new Hono();
  app.get('/:id/history', (c) => {
    const id = c.req.param('id');
    const { samples } = readQuery(c, AgentHistoryQuery);
    const view = history(id);
    if (view === undefined) throw new ApiError(404, 'NOT_FOUND', 'Unknown agent', `no agent "${id}" in this lead's registry`);
    return c.json(agentHistoryJson(id, view, samples));
  });
  return app;
}
