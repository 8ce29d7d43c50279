/**
 * What every MESH-30K HTTP surface (lead API, agent status port, edge Worker) does the same
 * way, per RFC 9110: which methods a route allows (405 + Allow), which request bodies it
 * reads (JSON only, else 415), the headers every answer carries, and which client request
 * ids are echoed. Pure: each runtime applies these with its own HTTP stack.
 */
import type { ProblemInput } from './problem.js';

/** On every API answer: nothing is cached, nothing is sniffed as another type. */
export const API_RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
});

export const REQUEST_ID_HEADER = 'x-request-id';

/** A client's X-Request-Id is echoed only when it is short and plain (it lands in logs). */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function acceptableRequestId(offered: string | null | undefined): offered is string {
  return offered !== null && offered !== undefined && CLIENT_REQUEST_ID.test(offered);
}

/** application/json or any +json type (RFC 6839), parameters such as charset allowed. */
export function isJsonMediaType(contentType: string | null | undefined): boolean {
  if (contentType === null || contentType === undefined) return false;
  const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return essence === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(essence);
}

/**
 * Whether a request carries a body by its framing (RFC 9112 section 6.3): a Content-Length
 * above zero or any Transfer-Encoding. `hasStream` covers in-process requests without framing.
 */
export function declaresBody(headers: { get(name: string): string | null }, hasStream = false): boolean {
  if (headers.get('transfer-encoding') !== null) return true;
  const length = headers.get('content-length');
  if (length !== null) return length.trim() !== '0';
  return hasStream || headers.get('content-type') !== null;
}

/** The 415 for a body that is not JSON; undefined when the body is acceptable or absent. */
export function unsupportedBody(contentType: string | null | undefined, hasBody: boolean, instance?: string): ProblemInput | undefined {
  if (!hasBody || isJsonMediaType(contentType)) return undefined;
  const what = contentType === null || contentType === undefined ? 'a body without Content-Type' : `Content-Type ${contentType.split(';')[0]?.trim() ?? contentType}`;
  return {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    title: 'Unsupported media type',
    detail: `${what} is not accepted; send application/json`,
    ...(instance === undefined ? {} : { instance }),
  };
}

/** The Allow header value for a route's methods; GET implies HEAD. Sorted, deduplicated. */
export function allowHeader(methods: Iterable<string>): string {
  const all = new Set<string>();
  for (const method of methods) {
    const upper = method.toUpperCase();
    all.add(upper);
    if (upper === 'GET') all.add('HEAD');
  }
  return [...all].sort().join(', ');
}

/** The 405 for a method the route does not serve, with the Allow header to send beside it. */
export function methodNotAllowed(method: string, allowed: Iterable<string>, instance: string): { problem: ProblemInput; headers: Record<string, string> } {
  const allow = allowHeader(allowed);
  return {
    problem: { status: 405, code: 'METHOD_NOT_ALLOWED', title: 'Method not allowed', detail: `${method} is not allowed on ${instance}; allowed: ${allow}`, instance },
    headers: { allow },
  };
}

/**
 * Whether a route pattern in the routers' syntax (`/v1/agents/:id`, a trailing `*`) matches a
 * path. Used to tell "no such resource" (404) from "not with this method" (405).
 */
export function routeMatches(pattern: string, path: string): boolean {
  const want = pattern.split('/').filter((part) => part !== '');
  const have = path.split('/').filter((part) => part !== '');
  for (let i = 0; i < want.length; i += 1) {
    const part = want[i]!;
    if (part === '*') return true;
    if (i >= have.length) return false;
    if (!part.startsWith(':') && part !== have[i]) return false;
  }
  return want.length === have.length;
}
