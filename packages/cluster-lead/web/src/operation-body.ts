/**
 * The body of POST /v1/operations from the operation form's fields, checked before anything is
 * sent: the payload is JSON within the wire limit, `act` and `sync` payloads have the fields
 * every agent requires, a target has a value. No DOM: unit-tested in Node.
 */
/** The wire limit every agent applies to a payload (shared WIRE_LIMITS.maxPayloadBytes). */
export const MAX_PAYLOAD_BYTES = 40 * 1024;
const ACT_ACTIONS = ['set', 'pulse', 'toggle', 'identify'];

export interface FormInput {
  kind: 'scatter_gather' | 'broadcast';
  verb: string;
  payload: string;
  target: string;
  targetValue: string;
  releaseMode: string;
  /** Percent of the selected agents that must answer READY; empty for the lead's default. */
  quorumPct: string;
}

/** The request body, or the first problem naming its field (as the API would). Pure: unit-testable. */
export function operationBody(input: FormInput): { ok: true; body: Record<string, unknown> } | { ok: false; field: string; message: string } {
  let payload: unknown;
  const text = input.payload.trim();
  if (text !== '') {
    try {
      payload = JSON.parse(text);
    } catch (error) {
      return { ok: false, field: 'payload', message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
    }
    const bytes = new TextEncoder().encode(JSON.stringify(payload)).length;
    if (bytes > MAX_PAYLOAD_BYTES) return { ok: false, field: 'payload', message: `${bytes} bytes as JSON; the limit is ${MAX_PAYLOAD_BYTES}` };
  }
  const isObject = typeof payload === 'object' && payload !== null && !Array.isArray(payload);
  if (input.verb === 'act' && !(isObject && ACT_ACTIONS.includes(String((payload as Record<string, unknown>).action)))) {
    return { ok: false, field: 'payload.action', message: `act needs an object with action ${ACT_ACTIONS.join('|')}` };
  }
  if (input.verb === 'sync' && !(isObject && typeof (payload as Record<string, unknown>).context_hash === 'string')) {
    return { ok: false, field: 'payload.context_hash', message: 'sync needs an object with context_hash' };
  }
  const value = input.targetValue.trim();
  let selector: Record<string, unknown>;
  if (input.target === 'all') selector = { all: true };
  else if (value === '') return { ok: false, field: 'selector', message: 'give a value for the target' };
  else if (input.target === 'agent_ids') selector = { agent_ids: value.split(/[\s,]+/).filter((id) => id !== '') };
  else selector = { [input.target]: value };
  const body: Record<string, unknown> = { kind: input.kind, verb: input.verb, selector };
  if (payload !== undefined) body.payload = payload;
  if (input.kind === 'scatter_gather') {
    body.release_mode = input.releaseMode;
    if (input.quorumPct.trim() !== '') {
      const pct = Number(input.quorumPct);
      if (!(pct >= 0 && pct <= 100)) return { ok: false, field: 'min_response_rate', message: 'quorum is a percentage, 0 to 100' };
      body.min_response_rate = pct / 100;
    }
  }
  return { ok: true, body };
}

