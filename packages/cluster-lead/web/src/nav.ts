/**
 * Links to the page's views in the header. On a wide screen they sit in a row; on a phone they
 * collapse behind a Menu button (styles.css switches at 700 px), closed again after a pick.
 */
import { el } from './dom.js';

export function renderNav(views: readonly { id: string; label: string }[]): HTMLElement {
  const list = el('ul', { id: 'nav-views' }, ...views.map((v) => el('li', {}, el('a', { href: `#${v.id}` }, v.label))));
  const toggle = el('button', { type: 'button', class: 'nav-toggle', 'aria-expanded': 'false', 'aria-controls': 'nav-views', 'data-testid': 'nav-toggle' }, '☰ Menu');
  const nav = el('nav', { 'aria-label': 'Views', 'data-testid': 'nav' }, toggle, list);
  const setOpen = (open: boolean) => {
    toggle.setAttribute('aria-expanded', String(open));
    nav.classList.toggle('open', open);
  };
  toggle.addEventListener('click', () => setOpen(!nav.classList.contains('open')));
  list.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a') !== null) setOpen(false);
  });
  return nav;
}
