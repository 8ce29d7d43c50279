/** The dashboard's calls to the lead: same origin, the session cookie, the CSRF token on writes. */

export interface Session {
  operator_id: string;
  role: 'operator' | 'read';
  csrf_token: string;
  expires_at: number;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function problemOf(response: Response): Promise<HttpProblem> {
  let detail = response.statusText;
  try {
    const body = (await response.json()) as { detail?: string; title?: string };
    detail = body.detail ?? body.title ?? detail;
  } catch {
    // Not a problem+json body; the status text says enough.
  }
  return new HttpProblem(response.status, `${response.status}: ${detail}`);
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (response.status === 401) location.assign('/ui/login');
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as T;
}

/**
 * A fresh Idempotency-Key. crypto.randomUUID exists only in secure contexts (https or
 * localhost), and a lead on a LAN is often plain http; getRandomValues works everywhere.
 */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `ui-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** POST as JSON; `idempotencyKey` lets a caller send the same key again when it retries the same intent. */
export async function postJson<T>(path: string, body: unknown, session: Session | undefined, idempotencyKey: string = newIdempotencyKey()): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': idempotencyKey };
  if (session !== undefined) headers['x-csrf-token'] = session.csrf_token;
  const response = await fetch(path, { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify(body) });
  if (!response.ok) throw await problemOf(response);
  return (response.status === 204 ? undefined : await response.json()) as T;
}
