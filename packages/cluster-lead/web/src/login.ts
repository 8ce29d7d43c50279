/** The sign-in page: paste a token from `mesh login`, or sign with the key file (key-login.ts); the lead answers with a session cookie. */
import { el } from './dom.js';
import { postJson } from './http.js';
import { renderKeySignIn } from './key-login.js';

export function renderLogin(root: HTMLElement): void {
  const token = el('textarea', { id: 'token', name: 'token', rows: '4', required: '', autocomplete: 'off', spellcheck: 'false', placeholder: 'mt1.…', 'data-testid': 'token' });
  const error = el('p', { class: 'error', role: 'alert', 'data-testid': 'login-error' });
  const submit = el('button', { type: 'submit', 'data-testid': 'sign-in' }, 'Sign in');
  const form = el(
    'form',
    { class: 'card login' },
    el('h1', {}, 'MESH-30K'),
    el('label', { for: 'token' }, 'Operator token'),
    token,
    el('p', { class: 'hint' }, 'Make one with ', el('code', {}, 'mesh login'), ' (it prints a ready link) or ', el('code', {}, 'mesh-lead api-token --key KEY --id OPERATOR --ttl 8h'), ' and paste it here.'),
    submit,
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    postJson('/ui/session', { token: token.value }, undefined)
      .then(() => location.assign('/ui/'))
      .catch((problem: unknown) => {
        error.textContent = problem instanceof Error ? problem.message : String(problem);
        submit.disabled = false;
      });
  });
  // A link from the demo may carry the token in the fragment (never sent to a server): sign in with it.
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  root.replaceChildren(el('div', { class: 'login-stack' }, form, renderKeySignIn(() => location.assign('/ui/'))));
  if (fromLink !== null) {
    history.replaceState(null, '', location.pathname);
    token.value = fromLink;
    form.requestSubmit();
  }
}
