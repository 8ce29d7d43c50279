/**
 * Lead-wide controls: GET/PUT /v1/mode, GET /v1/breakers and POST /v1/breakers/:id/force,
 * GET /v1/conflicts (the conflict log, filtered and paginated), POST /v1/heal (a job).
 */
import { MeshMode, type BreakerStatus } from '@mesh30k/shared';
import { Hono } from 'hono';
import { z } from 'zod';
import type { HealResult } from '../control/index.js';
import type { JobBoard } from '../jobs/index.js';
import type { ConflictQuery, StoredConflict } from '../store/index.js';
import { breakerJson } from './control-routes.js';
import { newOperationId, jobAccepted } from './jobs-routes.js';
import type { PageTokens } from './page-token.js';
import { ApiError } from './problem.js';
import { PageParams, intParam, numberParam, readQuery } from './query.js';
import { readJsonBody } from './read-body.js';
import type { ConflictJson } from './response-schemas.js';

export interface ModeApi {
  get(): { mode: MeshMode; computed: MeshMode; override: MeshMode | null };
  set(override: MeshMode | null): void;
}

export interface BreakersApi {
  list(): BreakerStatus[];
  /** open: OPEN; closed: CLOSE; auto: hand the breaker back to its own rules. */
  force?(scope: BreakerStatus['scope'], targetId: string, state: 'open' | 'closed' | 'auto', reason: string): void;
}

export interface MeshDeps {
  readonly tokens: PageTokens;
  readonly board: JobBoard;
  readonly mode?: ModeApi;
  readonly breakers?: BreakersApi;
  readonly conflicts?: (query: ConflictQuery) => StoredConflict[];
  readonly heal?: (target: string, by: string) => HealResult;
}

export const ModeBody = z.strictObject({ override: MeshMode.nullable() });
export const ForceBody = z.strictObject({ state: z.enum(['open', 'closed', 'auto']), scope: z.enum(['cluster', 'sector', 'global']).optional(), reason: z.string().min(1).max(256).optional() });
export const HealBody = z.strictObject({ target: z.string().min(1).max(64).default('auto') });
export const ConflictsQuery = z.strictObject({
  since: numberParam(0, 8_640_000_000_000).optional(),
  until: numberParam(0, 8_640_000_000_000).optional(),
  agent: z.string().min(1).max(64).optional(),
  operation: z.string().min(1).max(128).optional(),
  type: z.string().min(1).max(64).optional(),
  min_priority: intParam(0, 5).optional(),
  ...PageParams,
});

const decoder = new TextDecoder();

function conflictJson(c: StoredConflict): ConflictJson {
  let report: unknown = null;
  try {
    report = JSON.parse(decoder.decode(c.body));
  } catch {
    // Logged bytes that are not JSON are shown as absent; the log keeps them as they came.
  }
  return { seq: c.seq, conflict_id: c.conflictId, received_at: c.receivedAt, agent_id: c.agentId, operation_id: c.operationId, type: c.conflictType, priority: c.priority, signer_id: c.signerId, report };
}

const notAvailable = (what: string) => new ApiError(404, 'NOT_FOUND', 'Not available', `${what} is not available on this lead`);

export function meshRoutes(deps: MeshDeps): Hono {
  const app = new Hono();

  app.get('/mode', (c) => {
    if (deps.mode === undefined) throw notAvailable('the mode');
    return c.json(deps.mode.get());
  });
  app.put('/mode', async (c) => {
    const mode = deps.mode;
    if (mode === undefined) throw notAvailable('the mode');
    const body = await readJsonBody(c, ModeBody, 'mode');
    mode.set(body.override);
    return c.json(mode.get());
  });

  app.get('/breakers', (c) => {
    if (deps.breakers === undefined) throw notAvailable('breakers');
    return c.json({ breakers: deps.breakers.list().map(breakerJson) });
  });
  app.post('/breakers/:id/force', async (c) => {
    const breakers = deps.breakers;
    if (breakers?.force === undefined) throw notAvailable('forcing breakers');
    const id = c.req.param('id');
    const body = await readJsonBody(c, ForceBody, 'breaker force');
    const known = breakers.list().filter((b) => b.targetId === id && (body.scope === undefined || b.scope === body.scope));
    if (known.length > 1) throw new ApiError(400, 'BAD_REQUEST', 'Ambiguous breaker', `"${id}" names a cluster and a sector breaker; add scope`, { fields: { errors: [{ field: 'scope', message: 'required here' }] } });
    const scope = body.scope ?? known[0]?.scope;
    if (scope === undefined) throw new ApiError(404, 'NOT_FOUND', 'Unknown breaker', `no breaker for "${id}" yet; give scope (cluster or sector) to force one`);
    breakers.force(scope, id, body.state, body.reason ?? `forced by ${c.get('caller').operatorId}`);
    const now = breakers.list().find((b) => b.targetId === id && b.scope === scope);
    return c.json(now === undefined ? { scope, target_id: id, state: body.state } : breakerJson(now));
  });

  app.get('/conflicts', (c) => {
    const conflicts = deps.conflicts;
    if (conflicts === undefined) throw notAvailable('the conflict log');
    const { page_size, page_token, ...filters } = readQuery(c, ConflictsQuery);
    const beforeSeq = page_token === undefined ? undefined : Number(deps.tokens.read('conflicts', filters, page_token));
    // One more than asked says whether another page exists.
    const rows = conflicts({ since: filters.since, until: filters.until, agentId: filters.agent, operationId: filters.operation, type: filters.type, minPriority: filters.min_priority, beforeSeq, limit: page_size + 1 });
    const page = rows.slice(0, page_size);
    const last = page.at(-1);
    return c.json({ conflicts: page.map(conflictJson), ...(rows.length > page_size && last !== undefined ? { next_page_token: deps.tokens.issue('conflicts', filters, String(last.seq)) } : {}) });
  });

  app.post('/heal', async (c) => {
    const heal = deps.heal;
    if (heal === undefined) throw notAvailable('heal');
    const body = await readJsonBody(c, HealBody, 'heal');
    const by = c.get('caller').operatorId;
    // Heal is quick and synchronous today (the job is done when answered); as a job it can grow
    // (probes first) without a contract change.
    const job = deps.board.start({ id: newOperationId(), kind: 'heal', state: 'RUNNING', done: { ok: true, result: heal(body.target, by) } });
    return jobAccepted(c, deps.board, job);
  });
  return app;
}
