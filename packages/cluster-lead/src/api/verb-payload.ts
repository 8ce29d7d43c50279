import { Verb, verbPayloadIssues } from '@mesh30k/shared';
import { invalidFields } from './problem.js';

/**
 * Refuses (400 naming the field) an operation whose payload fails its verb's schema, the same
 * schema every agent applies (@mesh30k/shared protocol/verb-payloads), before anything is
 * sent: work all agents would refuse must not reach them, nor count against their breakers.
 * An unknown verb is left to the engine, which names it. `prefix` places the payload in the
 * body (`task.` for a delegation). An absent payload is null, as the engine sends it.
 */
export function refuseInvalidVerbPayload(what: string, verb: unknown, payload: unknown, prefix = ''): void {
  const known = Verb.safeParse(verb);
  if (!known.success) return;
  const issues = verbPayloadIssues(known.data, payload ?? null);
  if (issues.length === 0) return;
  const field = (path: string): string => (path === '' ? `${prefix}payload` : `${prefix}payload.${path}`);
  throw invalidFields(`Invalid ${what}`, issues.map((issue) => ({ field: field(issue.path), message: `${known.data}: ${issue.message}` })));
}
