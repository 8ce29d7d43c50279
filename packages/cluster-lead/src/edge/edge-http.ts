/**
 * The lead's HTTP calls to a Worker: a signed request (signature and signer beside the exact
 * body, as headers) and a signed answer read as bytes, so it is verified before it is parsed.
 */
import { SIGNATURE_HEADER, SIGNER_HEADER, type IncomingFrame, type SignedFrame } from '@mesh30k/shared';

/** What came back: a frame to verify, or a refusal (problem+json) with its code. */
export type EdgeAnswer =
  | { readonly kind: 'frame'; readonly status: number; readonly frame: IncomingFrame }
  | { readonly kind: 'problem'; readonly status: number; readonly code: string; readonly detail: string };

/** A request that got no HTTP answer at all (connection refused, reset, timeout). */
export class EdgeUnreachable extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'EdgeUnreachable';
  }
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export async function postSigned(fetchImpl: FetchLike, url: string, frame: SignedFrame, timeoutMs: number): Promise<EdgeAnswer> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      body: frame.body,
      headers: { 'content-type': 'application/json', [SIGNER_HEADER]: frame.signerId, [SIGNATURE_HEADER]: frame.signature },
      signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))),
    });
  } catch (error) {
    throw unreachable(error);
  }
  return readAnswer(response);
}

export async function getJson(fetchImpl: FetchLike, url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetchImpl(url, { method: 'GET', signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))) });
  } catch (error) {
    throw unreachable(error);
  }
  try {
    return { status: response.status, body: (await response.json()) };
  } catch (error) {
    throw unreachable(error);
  }
}

async function readAnswer(response: Response): Promise<EdgeAnswer> {
  let body: Uint8Array;
  try {
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw unreachable(error);
  }
  const signerId = response.headers.get(SIGNER_HEADER);
  const signature = response.headers.get(SIGNATURE_HEADER);
  if (response.ok && signerId !== null && signature !== null) return { kind: 'frame', status: response.status, frame: { body, signerId, signature } };
  let code = `HTTP_${response.status}`;
  let detail = response.statusText;
  try {
    const problem = JSON.parse(new TextDecoder().decode(body)) as { code?: unknown; detail?: unknown; title?: unknown };
    if (typeof problem.code === 'string') code = problem.code;
    if (typeof problem.detail === 'string') detail = problem.detail;
    else if (typeof problem.title === 'string') detail = problem.title;
  } catch {
    // not JSON: keep the status
  }
  return { kind: 'problem', status: response.status, code, detail };
}

function unreachable(error: unknown): EdgeUnreachable {
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new EdgeUnreachable(`${error instanceof Error ? error.message : String(error)}${cause}`, timedOut);
}
