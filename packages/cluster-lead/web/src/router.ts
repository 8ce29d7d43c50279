/**
 * The pages behind the overview, picked by the URL fragment (the lead serves one page; the
 * fragment never reaches it): #/ the overview, #/agents/<id> an agent, #/conflicts the
 * conflict log (filters after "?"), #/tree the lead tree. The feed's events are handed to
 * whichever view is shown.
 */
import { AgentPage } from './agent-view.js';
import { ConflictsView } from './conflicts-view.js';
import { el } from './dom.js';
import { TreeView } from './tree-view.js';

export interface Views {
  /** Links to the pages, for the header. */
  readonly nav: HTMLElement;
  /** A status from the feed (every few seconds). */
  status(conflictsLastHour: number): void;
  /** A lead event from the feed; agentId when it is about one agent. */
  leadEvent(agentId: string | undefined): void;
}

type Route = { page: 'overview' } | { page: 'agent'; agentId: string } | { page: 'conflicts'; filters: URLSearchParams } | { page: 'tree' };

export function routeOf(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?', 2);
  const agent = /^\/agents\/(.+)$/.exec(path);
  if (agent !== null) return { page: 'agent', agentId: decodeURIComponent(agent[1]!) };
  if (path === '/conflicts') return { page: 'conflicts', filters: new URLSearchParams(query) };
  if (path === '/tree') return { page: 'tree' };
  return { page: 'overview' };
}

export function mountViews(main: HTMLElement, overview: readonly HTMLElement[]): Views {
  const agent = new AgentPage();
  const conflicts = new ConflictsView();
  const tree = new TreeView();
  const links = (['overview', 'conflicts', 'tree'] as const).map((page) => el('a', { href: page === 'overview' ? '#/' : `#/${page}`, 'data-nav': page }, page === 'overview' ? 'Overview' : page === 'conflicts' ? 'Conflicts' : 'Lead tree'));
  const nav = el('nav', { class: 'nav', 'aria-label': 'Pages' }, ...links);

  const show = () => {
    const route = routeOf(location.hash);
    for (const link of links) link.toggleAttribute('aria-current', link.dataset.nav === route.page);
    switch (route.page) {
      case 'agent':
        main.replaceChildren(agent.element);
        agent.open(route.agentId);
        break;
      case 'conflicts':
        main.replaceChildren(conflicts.element);
        conflicts.open(route.filters);
        break;
      case 'tree':
        main.replaceChildren(tree.element);
        tree.open();
        break;
      case 'overview':
        main.replaceChildren(...overview);
        break;
    }
    main.dataset.page = route.page;
  };
  window.addEventListener('hashchange', show);
  show();

  return {
    nav,
    status(conflictsLastHour) {
      conflicts.countChanged(conflictsLastHour);
      agent.changed(undefined);
      tree.tick();
    },
    leadEvent(agentId) {
      if (agentId !== undefined) agent.changed(agentId);
    },
  };
}
