import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError, fieldErrors, invalidFields } from './problem.js';

/**
 * Reads a JSON request body and validates it against `schema`; anything else is a 400
 * problem naming every offending field. `what` names the resource in the title.
 */
export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S, what: string): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new ApiError(400, 'BAD_REQUEST', 'Invalid JSON', 'the body is not JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidFields(`Invalid ${what}`, fieldErrors(parsed.error.issues));
  return parsed.data;
}
