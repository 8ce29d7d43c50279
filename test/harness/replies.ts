/**
 * A lead's answer to an ACK, CONFLICT or announcement request, reduced to its verdict: a signed
 * REPLY (its signature is checked where a test is about signatures, not here) or the plain JSON
 * refusal a lead gives a request it could not authenticate.
 */
export type Verdict = { ok: true } | { ok: false; code: string; message: string };

const decoder = new TextDecoder();

export function verdictOf(data: Uint8Array): Verdict {
  const raw = JSON.parse(decoder.decode(data)) as { kind?: unknown; ok?: unknown; code?: unknown; message?: unknown };
  if (raw.ok === true) return { ok: true };
  return { ok: false, code: typeof raw.code === 'string' ? raw.code : 'REFUSED', message: typeof raw.message === 'string' ? raw.message : '' };
}
