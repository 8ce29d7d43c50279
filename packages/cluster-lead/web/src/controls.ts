/**
 * Freeze and thaw of the whole mesh. Shown only to the `operator` role; a `read` session gets
 * no buttons, and the API refuses the POST anyway (403) should one be forged.
 */
import { el } from './dom.js';
import { postJson, type Session } from './http.js';

export function renderControls(session: Session): HTMLElement | undefined {
  if (session.role !== 'operator') return undefined;
  const message = el('p', { class: 'hint', role: 'status', 'data-testid': 'control-message' });
  const act = (action: 'freeze' | 'thaw') => {
    postJson(`/v1/${action}`, { scope: 'global', reason: `dashboard ${action} by ${session.operator_id}` }, session)
      .then(() => (message.textContent = `${action} accepted`))
      .catch((problem: unknown) => (message.textContent = problem instanceof Error ? problem.message : String(problem)));
  };
  const freeze = el('button', { type: 'button', class: 'danger', 'data-testid': 'freeze' }, 'Freeze mesh');
  const thaw = el('button', { type: 'button', 'data-testid': 'thaw' }, 'Thaw mesh');
  freeze.addEventListener('click', () => {
    if (confirm('Freeze the whole mesh? No new operations start until it is thawed.')) act('freeze');
  });
  thaw.addEventListener('click', () => act('thaw'));
  return el('section', { class: 'card', 'aria-label': 'Actions', 'data-testid': 'controls' }, el('h2', {}, 'Actions'), el('div', { class: 'buttons' }, freeze, thaw), message);
}
