/** The signed-in dashboard: header, status box, actions by role, agents; kept live by /ui/events. */
import { operatorActions } from './actions.js';
import { AgentsView } from './agents-view.js';
import type { BreakerTransition } from './breaker-bands.js';
import { BreakersView } from './breakers-view.js';
import { renderControls } from './controls.js';
import { el } from './dom.js';
import { getJson, postJson, type Session } from './http.js';
import { OperationsView } from './operations-view.js';
import { mountViews, type OverviewSection } from './router.js';
import { StatusBox, type StatusBody } from './status-box.js';

export async function renderApp(root: HTMLElement): Promise<void> {
  const session = await getJson<Session>('/ui/session');
  const status = new StatusBox();
  const operations = new OperationsView();
  // The hooks run only on a click, once `agents` exists.
  const actions = operatorActions(session, { operationStarted: () => void operations.refresh(), agentChanged: () => agents.agentChanged() });
  const agents = new AgentsView(actions === undefined ? undefined : (agent) => actions.rowButtons(agent));
  const breakers = new BreakersView();
  const live = el('span', { class: 'live', 'data-testid': 'live', 'data-state': 'connecting' }, 'connecting…');
  const signOut = el('button', { type: 'button', 'data-testid': 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => {
    void postJson('/ui/logout', {}, session).finally(() => location.assign('/ui/login'));
  });
  const controls = renderControls(session);
  const main = el('main', {});
  const sections = [
    { id: 'view-status', label: 'Status', element: status.element },
    { id: 'view-actions', label: 'Actions', element: controls },
    { id: 'view-start', label: 'Start', element: actions?.element },
    { id: 'view-operations', label: 'Operations', element: operations.element },
    { id: 'view-breakers', label: 'Breakers', element: breakers.element },
    { id: 'view-agents', label: 'Agents', element: agents.element },
  ].filter((s): s is OverviewSection => s.element !== undefined);
  const views = mountViews(main, sections);
  const header = el('header', {}, el('strong', {}, 'MESH-30K'), live, views.nav, el('span', { class: 'who', 'data-testid': 'who' }, `${session.operator_id} (${session.role})`), signOut);
  root.replaceChildren(header, main);
  agents.restart();
  void breakers.refresh();

  // EventSource reconnects by itself and sends Last-Event-ID; the lead replays or sends a snapshot.
  const feed = new EventSource('/ui/events');
  const setLive = (state: 'live' | 'reconnecting') => {
    live.dataset.state = state;
    live.textContent = state === 'live' ? '● live' : 'reconnecting…';
  };
  feed.addEventListener('open', () => setLive('live'));
  feed.addEventListener('error', () => setLive('reconnecting'));
  const showStatus = (body: StatusBody) => {
    status.render(body);
    operations.countsChanged(body.mesh.operations);
    views.status(body.mesh.conflicts_last_hour);
  };
  feed.addEventListener('snapshot', (event) => {
    showStatus((JSON.parse(event.data as string) as { status: StatusBody }).status);
    agents.agentChanged();
    void breakers.refresh();
  });
  feed.addEventListener('breaker', (event) => breakers.transition(JSON.parse(event.data as string) as BreakerTransition));
  feed.addEventListener('status', (event) => showStatus(JSON.parse(event.data as string) as StatusBody));
  feed.addEventListener('lead-event', (event) => {
    const data = JSON.parse(event.data as string) as { agent_id?: string };
    if (data.agent_id !== undefined) agents.agentChanged();
    views.leadEvent(data.agent_id);
  });
}
