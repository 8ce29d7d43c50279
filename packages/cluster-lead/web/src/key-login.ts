/**
 * Sign in with the operator's key file and id: the page makes the same short-lived token as
 * `mesh-lead api-token` and sends only the token. The key is read into memory, used once and
 * the file input cleared; it is never uploaded or stored.
 */
import { el } from './dom.js';
import { postJson } from './http.js';
import { makeApiToken, parseKeyFile, type TokenRole } from './key-token.js';

const TTLS: readonly [string, number][] = [
  ['1 hour', 3_600_000],
  ['8 hours', 8 * 3_600_000],
  ['12 hours', 12 * 3_600_000],
];

export function renderKeySignIn(onSignedIn: () => void): HTMLElement {
  const keyFile = el('input', { id: 'key-file', type: 'file', accept: '.key,.json,application/json', required: '', 'data-testid': 'key-file' });
  const operator = el('input', { id: 'key-operator', type: 'text', required: '', autocomplete: 'username', spellcheck: 'false', placeholder: 'cecilia', pattern: '[A-Za-z0-9_\\-]{1,64}', 'data-testid': 'key-operator' });
  const role = el('select', { id: 'key-role', 'data-testid': 'key-role' }, el('option', { value: 'operator' }, 'operator'), el('option', { value: 'read' }, 'read only'));
  const ttl = el('select', { id: 'key-ttl', 'data-testid': 'key-ttl' }, ...TTLS.map(([label, ms]) => el('option', { value: String(ms) }, label)));
  ttl.value = String(8 * 3_600_000);
  const error = el('p', { class: 'error', role: 'alert', 'data-testid': 'key-error' });
  const submit = el('button', { type: 'submit', 'data-testid': 'key-sign-in' }, 'Sign in with key');
  const form = el(
    'form',
    { class: 'card login', 'aria-label': 'Sign in with a key', 'data-testid': 'key-form' },
    el('h2', {}, 'Or sign in with your key'),
    el('label', { for: 'key-operator' }, 'Operator id'),
    operator,
    el('label', { for: 'key-file' }, 'Private key file'),
    keyFile,
    el('div', { class: 'row' }, el('label', { for: 'key-role' }, 'Role'), role, el('label', { for: 'key-ttl' }, 'Session'), ttl),
    el('p', { class: 'hint' }, 'The key file the console uses (', el('code', {}, 'mesh-lead operator-key'), '). The page signs a token with it; the key never leaves this browser.'),
    submit,
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    const file = keyFile.files?.[0];
    if (file === undefined) {
      error.textContent = 'pick your private key file';
      return;
    }
    submit.disabled = true;
    file
      .text()
      .then((text) => {
        const privateKey = parseKeyFile(text);
        const now = Date.now();
        const token = makeApiToken(privateKey, { sub: operator.value.trim(), role: role.value as TokenRole, iat: now, exp: now + Number(ttl.value) });
        privateKey.fill(0);
        return postJson('/ui/session', { token }, undefined);
      })
      .then(onSignedIn)
      .catch((problem: unknown) => {
        error.textContent = problem instanceof Error ? problem.message : String(problem);
        submit.disabled = false;
      })
      .finally(() => (keyFile.value = ''));
  });
  return form;
}
