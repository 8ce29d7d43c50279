/**
 * The confirm step of an operator action: a modal <dialog> saying what will happen, with an
 * optional reason, and the action's answer (or the API's problem detail) shown in place. One
 * dialog per intent, so a retry after a failure resends the same Idempotency-Key.
 */
import { el } from './dom.js';
import { newIdempotencyKey } from './http.js';

export interface ConfirmRequest {
  title: string;
  /** What the action does, in one or two sentences. */
  explain: string;
  confirmLabel: string;
  danger?: boolean;
  /** Ask for a reason (sent to the API); empty means none. */
  reason?: boolean;
  /** Runs the action; resolves to the text shown on success. */
  run: (reason: string, idempotencyKey: string) => Promise<string>;
}

export class ConfirmDialog {
  readonly element = el('dialog', { class: 'confirm', 'data-testid': 'confirm-dialog' });

  open(request: ConfirmRequest): void {
    const idempotencyKey = newIdempotencyKey();
    const reason = el('input', { type: 'text', maxlength: '256', placeholder: 'reason (optional)', 'aria-label': 'Reason', 'data-testid': 'confirm-reason' });
    const message = el('p', { role: 'status', 'data-testid': 'confirm-message' });
    const confirm = el('button', { type: 'submit', class: request.danger === true ? 'danger' : '', 'data-testid': 'confirm-ok' }, request.confirmLabel);
    const cancel = el('button', { type: 'button', 'data-testid': 'confirm-cancel' }, 'Cancel');
    const form = el('form', { method: 'dialog' }, el('h2', {}, request.title), el('p', {}, request.explain), ...(request.reason === true ? [reason] : []), el('div', { class: 'buttons' }, confirm, cancel), message);
    cancel.addEventListener('click', () => this.element.close());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      confirm.disabled = true;
      message.className = 'hint';
      message.textContent = 'sending…';
      request
        .run(reason.value.trim(), idempotencyKey)
        .then((text) => {
          message.textContent = text;
          message.className = 'ok';
          cancel.textContent = 'Close';
        })
        .catch((problem: unknown) => {
          message.textContent = problem instanceof Error ? problem.message : String(problem);
          message.className = 'error';
          confirm.disabled = false;
        });
    });
    this.element.replaceChildren(form);
    if (!this.element.open) this.element.showModal();
    confirm.focus();
  }
}
