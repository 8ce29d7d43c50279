/**
 * The one shape every error response of every runtime takes (lead API, edge Worker, agent
 * status port): RFC 9457 problem details plus a stable machine code, so one client routine
 * reads them all. Pure: each runtime writes the body with its own HTTP stack.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Headers of every problem answer: errors are never cached, and never sniffed as HTML. */
export const PROBLEM_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': PROBLEM_CONTENT_TYPE,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
});

export interface ProblemInput {
  readonly status: number;
  /** Stable, upper snake case (NOT_FOUND, RATE_LIMITED): what clients switch on. */
  readonly code: string;
  /** Short, the same for every occurrence of the code. */
  readonly title: string;
  /** This occurrence: what was wrong and where. */
  readonly detail: string;
  /** The request path the problem is about. */
  readonly instance?: string;
  readonly requestId?: string;
  /** Extension members (field errors, retry hints); never override the standard ones. */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
  readonly request_id?: string;
  readonly [extension: string]: unknown;
}

/** The problem type of a code, a URN that names it: urn:mesh30k:problem:not_found. */
export function problemType(code: string): string {
  return `urn:mesh30k:problem:${code.toLowerCase()}`;
}

export function problemDetails(input: ProblemInput): ProblemDetails {
  return {
    ...input.extensions,
    type: problemType(input.code),
    title: input.title,
    status: input.status,
    detail: input.detail,
    code: input.code,
    ...(input.instance === undefined ? {} : { instance: input.instance }),
    ...(input.requestId === undefined ? {} : { request_id: input.requestId }),
  };
}
