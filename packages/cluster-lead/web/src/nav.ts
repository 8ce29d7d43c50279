/**
 * Links in the header: the overview's sections and the pages behind it. On a wide screen they
 * sit in a row; on a phone they collapse behind a Menu button (styles.css switches at 700 px),
 * closed again after a pick.
 */
import { el } from './dom.js';

export interface NavLink {
  href: string;
  label: string;
  /** The router's page this link opens (marked aria-current while it is shown). */
  page: string;
}

export interface Nav {
  readonly element: HTMLElement;
  /** Marks the links of the page shown; the overview's section links stay unmarked. */
  showing(page: string): void;
}

export function renderNav(links: readonly NavLink[]): Nav {
  const anchors = links.map((link) => el('a', { href: link.href, 'data-nav': link.page }, link.label));
  const list = el('ul', { id: 'nav-views' }, ...anchors.map((a) => el('li', {}, a)));
  const toggle = el('button', { type: 'button', class: 'nav-toggle', 'aria-expanded': 'false', 'aria-controls': 'nav-views', 'data-testid': 'nav-toggle' }, '☰ Menu');
  const nav = el('nav', { class: 'nav', 'aria-label': 'Views', 'data-testid': 'nav' }, toggle, list);
  const setOpen = (open: boolean) => {
    toggle.setAttribute('aria-expanded', String(open));
    nav.classList.toggle('open', open);
  };
  toggle.addEventListener('click', () => setOpen(!nav.classList.contains('open')));
  list.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a') !== null) setOpen(false);
  });
  return {
    element: nav,
    showing(page) {
      for (const a of anchors) a.toggleAttribute('aria-current', page !== 'overview' && a.dataset.nav === page);
    },
  };
}
