/** The signed-in dashboard: header, status box, actions by role, agents; kept live by /ui/events. */
import { AgentsView } from './agents-view.js';
import type { BreakerTransition } from './breaker-bands.js';
import { BreakersView } from './breakers-view.js';
import { renderControls } from './controls.js';
import { el } from './dom.js';
import { getJson, postJson, type Session } from './http.js';
import { OperationsView } from './operations-view.js';
import { StatusBox, type StatusBody } from './status-box.js';

export async function renderApp(root: HTMLElement): Promise<void> {
  const session = await getJson<Session>('/ui/session');
  const status = new StatusBox();
  const agents = new AgentsView();
  const operations = new OperationsView();
  const breakers = new BreakersView();
  const live = el('span', { class: 'live', 'data-testid': 'live', 'data-state': 'connecting' }, 'connecting…');
  const signOut = el('button', { type: 'button', 'data-testid': 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => {
    void postJson('/ui/logout', {}, session).finally(() => location.assign('/ui/login'));
  });
  const header = el('header', {}, el('strong', {}, 'MESH-30K'), live, el('span', { class: 'who', 'data-testid': 'who' }, `${session.operator_id} (${session.role})`), signOut);
  const controls = renderControls(session);
  root.replaceChildren(header, el('main', {}, status.element, ...(controls === undefined ? [] : [controls]), operations.element, breakers.element, agents.element));
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
  };
  feed.addEventListener('snapshot', (event) => {
    showStatus((JSON.parse(event.data as string) as { status: StatusBody }).status);
    agents.agentChanged();
    void breakers.refresh();
  });
  feed.addEventListener('breaker', (event) => breakers.transition(JSON.parse(event.data as string) as BreakerTransition));
  feed.addEventListener('status', (event) => showStatus(JSON.parse(event.data as string) as StatusBody));
  feed.addEventListener('lead-event', (event) => {
    if ('agent_id' in (JSON.parse(event.data as string) as object)) agents.agentChanged();
  });
}
