/**
 * GET /v1/dead-letters (newest first, paginated like the conflict log), GET /v1/dead-letters/:id,
 * POST /v1/dead-letters/:id/replay, DELETE /v1/dead-letters/:id.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { DeadLetterDesk } from '../dead-letters/index.js';
import type { DeadLetter } from '../store/index.js';
import type { PageTokens } from './page-token.js';
import { ApiError } from './problem.js';
import { PageParams, intParam, readQuery } from './query.js';
import type { Answer, DeadLetterJson, ReplayedSchema } from './response-schemas.js';

export const ListQuery = z.strictObject({ kind: z.string().min(1).max(64).optional(), ...PageParams });
const IdParam = intParam(1, Number.MAX_SAFE_INTEGER);

export function deadLetterJson(letter: DeadLetter): DeadLetterJson {
  return {
    id: letter.id,
    created_at: letter.createdAt,
    kind: letter.kind,
    operation_id: letter.operationId,
    agent_id: letter.agentId,
    reason: letter.reason,
    attempts: letter.attempts,
    payload: letter.payload,
  };
}

const unknownLetter = (id: string) => new ApiError(404, 'NOT_FOUND', 'Unknown dead letter', `no dead letter ${id} on this lead`);

function idOf(raw: string): number {
  const parsed = IdParam.safeParse(raw);
  if (!parsed.success) throw unknownLetter(raw);
  return parsed.data;
}

export function deadLetterRoutes(desk: DeadLetterDesk, tokens: PageTokens): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    const { page_size, page_token, ...filters } = readQuery(c, ListQuery);
    const beforeId = page_token === undefined ? undefined : Number(tokens.read('dead-letters', filters, page_token));
    // One more than asked says whether another page exists.
    const rows = desk.list({ beforeId, kind: filters.kind, limit: page_size + 1 });
    const page = rows.slice(0, page_size);
    const last = page.at(-1);
    return c.json({
      dead_letters: page.map(deadLetterJson),
      ...(rows.length > page_size && last !== undefined ? { next_page_token: tokens.issue('dead-letters', filters, String(last.id)) } : {}),
    });
  });

  app.get('/:id', (c) => {
    const letter = desk.get(idOf(c.req.param('id')));
    if (letter === undefined) throw unknownLetter(c.req.param('id'));
    return c.json(deadLetterJson(letter));
  });

  app.post('/:id/replay', async (c) => {
    const id = idOf(c.req.param('id'));
    const outcome = await desk.replay(id, c.get('caller').operatorId);
    if (outcome.ok) return c.json({ id, replayed: true, detail: outcome.detail, ...(outcome.startedAs === undefined ? {} : { started_as: outcome.startedAs }) } satisfies Answer<typeof ReplayedSchema>);
    switch (outcome.code) {
      case 'NOT_FOUND':
        throw unknownLetter(String(id));
      case 'STALE':
      case 'NOT_REPLAYABLE':
        throw new ApiError(409, 'NOT_REPLAYABLE', 'Not replayable', outcome.reason, { fields: { reason_code: outcome.code } });
      case 'FAILED':
        throw new ApiError(503, 'UNAVAILABLE', 'Replay failed', `delivery failed again (the letter is kept): ${outcome.reason}`);
    }
  });

  app.delete('/:id', (c) => {
    const id = idOf(c.req.param('id'));
    if (!desk.drop(id, c.get('caller').operatorId)) throw unknownLetter(String(id));
    return c.body(null, 204);
  });
  return app;
}
