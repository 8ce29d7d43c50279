import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './problem.js';

/**
 * Reads a JSON request body and validates it against `schema`; anything else is a 400
 * problem naming the first offending field. `what` names the resource in the title.
 */
export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S, what: string): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new ApiError(400, 'BAD_REQUEST', 'Invalid JSON', 'the body is not JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') ?? '';
    throw new ApiError(400, 'BAD_REQUEST', `Invalid ${what}`, `${field || '(body)'}: ${issue?.message ?? 'invalid'}`, { fields: { field } });
  }
  return parsed.data;
}
