/**
 * The pages behind the overview, picked by the URL fragment (the lead serves one page; the
 * fragment never reaches it): #/ (or a section's #view-...) the overview, #/agents/<id> an agent, #/conflicts the
 * conflict log (filters after "?"), #/tree the lead tree. The feed's events are handed to
 * whichever view is shown.
 */
import { AgentPage } from './agent-view.js';
import { ConflictsView } from './conflicts-view.js';
import { renderNav } from './nav.js';
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

/** A section of the overview: its element gets `id`, and the header links to it. */
export interface OverviewSection {
  id: string;
  label: string;
  element: HTMLElement;
}

export function mountViews(main: HTMLElement, sections: readonly OverviewSection[]): Views {
  for (const section of sections) section.element.id = section.id;
  const overview = sections.map((s) => s.element);
  const agent = new AgentPage();
  const conflicts = new ConflictsView();
  const tree = new TreeView();
  const nav = renderNav([
    ...sections.map((s) => ({ href: `#${s.id}`, label: s.label, page: 'overview' })),
    { href: '#/conflicts', label: 'Conflicts', page: 'conflicts' },
    { href: '#/tree', label: 'Lead tree', page: 'tree' },
  ]);

  const show = () => {
    const route = routeOf(location.hash);
    nav.showing(route.page);
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
      case 'overview': {
        main.replaceChildren(...overview);
        // A section link (#view-agents): the elements were just put back, so scroll to it now.
        const section = location.hash.length > 1 ? document.getElementById(location.hash.slice(1)) : null;
        section?.scrollIntoView();
        break;
      }
    }
    main.dataset.page = route.page;
  };
  window.addEventListener('hashchange', show);
  show();

  return {
    nav: nav.element,
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
