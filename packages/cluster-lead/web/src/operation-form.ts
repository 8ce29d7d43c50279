/**
 * Start a scatter-gather or a broadcast (POST /v1/operations): verb, payload as JSON checked
 * here before anything is sent, target, and for scatter-gather the release mode and quorum.
 * The same request sent again after a failure reuses its Idempotency-Key, so a retry never
 * starts a second operation; after a success the next one gets a new key.
 */
import { el } from './dom.js';
import { newIdempotencyKey, postJson, type Session } from './http.js';
import { operationBody, type FormInput } from './operation-body.js';

const VERBS = ['record', 'observe', 'orient', 'decide', 'act', 'sync'] as const;
const RELEASE_MODES = ['auto', 'lead', 'hold', 'none'] as const;
const TARGETS = [
  ['all', 'all agents'],
  ['agent_ids', 'agent ids'],
  ['capability', 'capability'],
  ['cluster_id', 'cluster'],
  ['sector_id', 'sector'],
] as const;

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
