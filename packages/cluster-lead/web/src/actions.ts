/**
 * The operator's actions besides freeze and thaw (controls.ts): heal, start an operation, and
 * the buttons on each agent row. Everything goes through the management API with the session's
 * CSRF token and an Idempotency-Key; a `read` session gets none of it (and the API would
 * refuse it anyway).
 */
import { agentActionButtons, type ActionableAgent } from './agent-actions.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { el } from './dom.js';
import { getJson, postJson, type Session } from './http.js';
import { renderOperationForm } from './operation-form.js';

export interface ActionHooks {
  /** An operation or heal job started: the operations list should show it. */
  operationStarted: (operationId: string) => void;
  /** An agent's state changed: the agents page should be drawn again. */
  agentChanged: () => void;
}

interface HealJob {
  operation_id: string;
  state: string;
  location?: string;
  result?: { recovered?: string[]; skipped?: unknown[]; breakers_reset?: unknown[] };
}

export class OperatorActions {
  readonly dialog = new ConfirmDialog();
  readonly element: HTMLElement;

  constructor(
    private readonly session: Session,
    private readonly hooks: ActionHooks,
  ) {
    const healTarget = el('input', { type: 'text', value: 'auto', 'aria-label': 'Heal target', placeholder: 'auto, cluster or sector id', 'data-testid': 'heal-target' });
    const heal = el('button', { type: 'button', 'data-testid': 'heal' }, 'Heal');
    heal.addEventListener('click', () => this.confirmHeal(healTarget.value.trim() || 'auto'));
    this.element = el(
      'section',
      { class: 'card', 'aria-label': 'Operations and heal', 'data-testid': 'operator-actions' },
      el('h2', {}, 'Start'),
      el('div', { class: 'row' }, el('label', {}, 'heal ', healTarget), heal),
      renderOperationForm(session, hooks.operationStarted),
      this.dialog.element,
    );
  }

  /** The buttons for one agents row. */
  rowButtons(agent: ActionableAgent): HTMLElement {
    return agentActionButtons(this.session, this.dialog, agent, this.hooks.agentChanged);
  }

  private confirmHeal(target: string): void {
    this.dialog.open({
      title: `Heal ${target}?`,
      explain: 'Quarantined agents of the target go on probation (retired ones stay retired) and its half-open breakers close.',
      confirmLabel: 'heal',
      run: async (_reason, key) => {
        const job = await postJson<HealJob>('/v1/heal', { target }, this.session, key);
        // Heal answers 202 with a job; its result is on the job (already done today).
        const done = await getJson<HealJob>(job.location ?? `/v1/operations/${encodeURIComponent(job.operation_id)}`);
        this.hooks.operationStarted(job.operation_id);
        this.hooks.agentChanged();
        const r = done.result ?? {};
        return `${done.operation_id} ${done.state}: ${r.recovered?.length ?? 0} agents recovered, ${r.breakers_reset?.length ?? 0} breakers reset`;
      },
    });
  }
}

export function operatorActions(session: Session, hooks: ActionHooks): OperatorActions | undefined {
  return session.role === 'operator' ? new OperatorActions(session, hooks) : undefined;
}
