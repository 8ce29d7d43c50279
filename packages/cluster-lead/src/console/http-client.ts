/**
 * The console's HTTP client for the lead's management API. It signs every attempt afresh
 * (a nonce is good for one request) and retries only what is safe to repeat: reads, and
 * writes that carry an Idempotency-Key, on 429, 503 and network failures.
 */
import { backoffDelayMs, retryAfterMs } from './backoff.js';
import type { FetchLike } from './lead-fetch.js';

export const MAX_ATTEMPTS = 3;
export const DEFAULT_TIMEOUT_MS = 10_000;
const RETRYABLE_STATUS = new Set([429, 503]);
const SAFE_METHODS = new Set(['GET', 'HEAD']);

export interface SignInput {
  method: string;
  pathAndQuery: string;
  body: Uint8Array;
}

export interface HttpClientOptions {
  baseUrl: string;
  /** Returns the Authorization header for one attempt; undefined sends none. */
  authorize?: (input: SignInput) => Promise<string | undefined>;
  timeoutMs?: number;
  /** Injected so tests neither sleep nor depend on chance. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** How requests travel: leadFetch (lead-fetch.ts) when the lead's certificate is trusted by --ca or --fingerprint; global fetch otherwise. */
  fetch?: FetchLike;
  /** Told before each retry (the progress display shows it). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  idempotencyKey?: string;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the answer is not JSON. */
  body: T;
  attempts: number;
}

export type LeadUnreachableCode = 'UNREACHABLE' | 'TIMEOUT';

/** No HTTP answer at all, after every allowed attempt. */
export class LeadUnreachableError extends Error {
  override readonly name = 'LeadUnreachableError';
  constructor(
    readonly code: LeadUnreachableCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class HttpClient {
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  get<T = unknown>(path: string, query?: RequestOptions['query']): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, { query });
  }

  post<T = unknown>(path: string, body: unknown, idempotencyKey?: string): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, { body, idempotencyKey });
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const upper = method.toUpperCase();
    const pathAndQuery = withQuery(path, options.query);
    const bodyText = options.body === undefined ? '' : JSON.stringify(options.body);
    const body = new TextEncoder().encode(bodyText);
    const retryable = SAFE_METHODS.has(upper) || options.idempotencyKey !== undefined;
    for (let attempt = 1; ; attempt++) {
      const last = !retryable || attempt >= MAX_ATTEMPTS;
      let response: Response;
      try {
        response = await this.attempt(upper, pathAndQuery, body, options.idempotencyKey);
      } catch (error) {
        const failure = toUnreachable(error, this.options.baseUrl, this.timeoutMs);
        if (last) throw failure;
        await this.pause(attempt, backoffDelayMs(attempt - 1, this.random), failure.message);
        continue;
      }
      const parsed = await readBody(response);
      if (!last && (RETRYABLE_STATUS.has(response.status) || isInProgress(response.status, parsed))) {
        const delay = retryAfterMs(response.headers.get('retry-after'), this.now()) ?? backoffDelayMs(attempt - 1, this.random);
        await this.pause(attempt, delay, `HTTP ${response.status}`);
        continue;
      }
      return { status: response.status, headers: response.headers, body: parsed as T, attempts: attempt };
    }
  }

  private async attempt(method: string, pathAndQuery: string, body: Uint8Array, idempotencyKey: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body.length > 0) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    const authorization = await this.options.authorize?.({ method, pathAndQuery, body });
    if (authorization !== undefined) headers.authorization = authorization;
    return (this.options.fetch ?? fetch)(new URL(pathAndQuery, this.options.baseUrl), {
      method,
      headers,
      ...(body.length > 0 ? { body } : {}),
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: 'manual',
    });
  }

  private async pause(attempt: number, delayMs: number, reason: string): Promise<void> {
    this.options.onRetry?.({ attempt, delayMs, reason });
    await this.sleep(delayMs);
  }
}

export function withQuery(path: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/**
 * The lead is still answering an earlier attempt under the same Idempotency-Key (it timed out
 * here, not there): waiting and asking again gets that attempt's answer.
 */
function isInProgress(status: number, body: unknown): boolean {
  return status === 409 && typeof body === 'object' && body !== null && (body as { code?: unknown }).code === 'IDEMPOTENCY_IN_PROGRESS';
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toUnreachable(error: unknown, baseUrl: string, timeoutMs: number): LeadUnreachableError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new LeadUnreachableError('TIMEOUT', `the lead at ${baseUrl} did not answer within ${timeoutMs} ms`, { cause: error });
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
  return new LeadUnreachableError('UNREACHABLE', `cannot reach the lead at ${baseUrl}: ${cause}`, { cause: error });
}
