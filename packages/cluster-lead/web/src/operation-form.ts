/**
 * Start a scatter-gather or a broadcast (POST /v1/operations): verb, payload as JSON checked
 * here before anything is sent, target, and for scatter-gather the release mode and quorum.
 * The same request sent again after a failure reuses its Idempotency-Key, so a retry never
 * starts a second operation; after a success the next one gets a new key.
 */
import { el } from './dom.js';
import { newIdempotencyKey, postJson, type Session } from './http.js';

const VERBS = ['record', 'observe', 'orient', 'decide', 'act', 'sync'] as const;
const RELEASE_MODES = ['auto', 'lead', 'hold', 'none'] as const;
const TARGETS = [
  ['all', 'all agents'],
  ['agent_ids', 'agent ids'],
  ['capability', 'capability'],
  ['cluster_id', 'cluster'],
  ['sector_id', 'sector'],
] as const;
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

export function renderOperationForm(session: Session, started: (operationId: string) => void): HTMLElement {
  const select = (name: string, label: string, options: readonly (readonly [string, string])[]) =>
    el('select', { name, 'aria-label': label, 'data-testid': `op-${name}` }, ...options.map(([value, text]) => el('option', { value }, text)));
  const kind = select('kind', 'Kind', [
    ['scatter_gather', 'scatter-gather'],
    ['broadcast', 'broadcast'],
  ]);
  const verb = select('verb', 'Verb', VERBS.map((v) => [v, v] as const));
  const target = select('target', 'Target', TARGETS);
  const targetValue = el('input', { type: 'text', name: 'target-value', placeholder: 'value', 'aria-label': 'Target value', 'data-testid': 'op-target-value', disabled: '' });
  const releaseMode = select('release', 'Release mode', RELEASE_MODES.map((m) => [m, m] as const));
  const quorum = el('input', { type: 'number', name: 'quorum', min: '0', max: '100', step: '1', placeholder: 'lead default', 'aria-label': 'Quorum, percent', 'data-testid': 'op-quorum' });
  const payload = el('textarea', { name: 'payload', rows: '3', spellcheck: 'false', 'aria-label': 'Payload (JSON)', 'data-testid': 'op-payload' }, '{}');
  const submit = el('button', { type: 'submit', 'data-testid': 'op-start' }, 'Start');
  const message = el('p', { role: 'status', 'data-testid': 'op-message' });
  const scatterOnly = el('div', { class: 'row' }, el('label', {}, 'release ', releaseMode), el('label', {}, 'quorum % ', quorum));
  kind.addEventListener('change', () => (scatterOnly.hidden = kind.value === 'broadcast'));
  target.addEventListener('change', () => (targetValue.disabled = target.value === 'all'));

  let pending: { text: string; key: string } | undefined;
  const form = el(
    'form',
    { class: 'op-form', 'aria-label': 'Start an operation', 'data-testid': 'op-form' },
    el('div', { class: 'row' }, el('label', {}, 'kind ', kind), el('label', {}, 'verb ', verb), el('label', {}, 'target ', target), targetValue),
    scatterOnly,
    el('label', { class: 'block' }, 'payload (JSON)', payload),
    el('div', { class: 'buttons' }, submit),
    message,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const checked = operationBody({ kind: kind.value as FormInput['kind'], verb: verb.value, payload: payload.value, target: target.value, targetValue: targetValue.value, releaseMode: releaseMode.value, quorumPct: quorum.value });
    if (!checked.ok) {
      message.className = 'error';
      message.textContent = `${checked.field}: ${checked.message}`;
      return;
    }
    const text = JSON.stringify(checked.body);
    if (pending?.text !== text) pending = { text, key: newIdempotencyKey() };
    submit.disabled = true;
    message.className = 'hint';
    message.textContent = 'starting…';
    postJson<{ operation_id: string; kind: string; state: string }>('/v1/operations', checked.body, session, pending.key)
      .then((job) => {
        pending = undefined;
        message.className = 'ok';
        message.textContent = `started ${job.operation_id} (${job.kind}, ${job.state})`;
        message.dataset.operation = job.operation_id;
        started(job.operation_id);
      })
      .catch((problem: unknown) => {
        message.className = 'error';
        message.textContent = problem instanceof Error ? problem.message : String(problem);
      })
      .finally(() => (submit.disabled = false));
  });
  return form;
}
