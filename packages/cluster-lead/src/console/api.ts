/** Turns the lead's answers into data or a ConsoleError with the right exit status. */
import { ConsoleError } from './exit-codes.js';
import type { ApiResponse } from './http-client.js';

export interface Problem {
  code?: string;
  title?: string;
  detail?: string;
  reason?: string;
  reason_code?: string;
  request_id?: string;
  errors?: { field: string; message: string }[];
}

function describe(res: ApiResponse): string {
  const problem = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Problem;
  const code = problem.code ?? `HTTP ${res.status}`;
  const why = problem.reason ?? problem.reason_code;
  const detail = problem.detail ?? problem.title ?? (typeof res.body === 'string' ? res.body.slice(0, 200) : '');
  const fields = problem.errors?.map((e) => `${e.field}: ${e.message}`).join('; ');
  const id = problem.request_id ?? res.headers.get('x-request-id') ?? undefined;
  return `${code}${why === undefined ? '' : ` (${why})`}: ${fields ?? detail}${id === undefined ? '' : ` [request ${id}]`}`;
}

/** The body of a 2xx answer; anything else becomes the ConsoleError its status calls for. */
export function expectOk<T>(res: ApiResponse, what: string): T {
  if (res.status >= 200 && res.status < 300) return res.body as T;
  const message = `${what}: ${describe(res)}`;
  if (res.status === 401 || res.status === 403) throw new ConsoleError('AUTH', message);
  if (res.status >= 500) throw new ConsoleError('DOWN', message);
  throw new ConsoleError('REFUSED', message);
}
