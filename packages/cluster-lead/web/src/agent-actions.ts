/**
 * Quarantine, recover and retire on an agent's row (POST /v1/agents/:id/<action>), each behind
 * the confirm dialog. Only the actions that make sense for the agent's state are offered; the
 * API decides anyway. Built only for an `operator` session.
 */
import type { ConfirmDialog } from './confirm-dialog.js';
import { el } from './dom.js';
import { postJson, type Session } from './http.js';

export type AgentAction = 'quarantine' | 'recover' | 'retire';

/** What the buttons need of an agents row (GET /v1/agents). */
export interface ActionableAgent {
  agent_id: string;
  state: string;
  health?: { state: string };
}

const EXPLAIN: Readonly<Record<AgentAction, string>> = {
  quarantine: 'The lead stops routing operations to it until it is recovered. Counts against the cluster’s quarantine cap.',
  recover: 'The agent goes on probation and earns its way back to routable.',
  retire: 'Final: a retired agent is never routed to again, and heal leaves it alone.',
};

export function agentActionsFor(agent: ActionableAgent): AgentAction[] {
  if (agent.health?.state === 'retired') return [];
  return agent.state === 'quarantined' ? ['recover', 'retire'] : ['quarantine', 'retire'];
}

export function agentActionButtons(session: Session, dialog: ConfirmDialog, agent: ActionableAgent, changed: () => void): HTMLElement {
  const cell = el('div', { class: 'row-actions' });
  for (const action of agentActionsFor(agent)) {
    const button = el('button', { type: 'button', class: action === 'recover' ? '' : 'danger', 'data-action': action, 'aria-label': `${action} ${agent.agent_id}` }, action);
    button.addEventListener('click', () =>
      dialog.open({
        title: `${action[0]!.toUpperCase()}${action.slice(1)} ${agent.agent_id}?`,
        explain: EXPLAIN[action],
        confirmLabel: action,
        danger: action !== 'recover',
        reason: true,
        run: async (reason, key) => {
          const answer = await postJson<{ state: string; health: string }>(`/v1/agents/${encodeURIComponent(agent.agent_id)}/${action}`, { reason: reason === '' ? `dashboard ${action} by ${session.operator_id}` : reason }, session, key);
          changed();
          return `${agent.agent_id}: ${answer.state} (health ${answer.health})`;
        },
      }),
    );
    cell.append(button);
  }
  return cell;
}
