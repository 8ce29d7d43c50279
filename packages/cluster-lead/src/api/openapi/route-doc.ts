/**
 * One route as the OpenAPI document describes it: the zod schemas the route validates with and
 * answers with, plus what only a reader needs (summary, examples). The table of these
 * (routes-*.ts) is checked against the router and against live answers by tests.
 */
import type { z } from 'zod';

export type Method = 'get' | 'put' | 'post' | 'delete';

/** Response headers the document names (components.headers). */
export type HeaderName = 'Location' | 'Retry-After' | 'WWW-Authenticate' | 'Idempotent-Replayed';

export interface ResponseDoc {
  readonly description: string;
  /** The JSON body; absent: no body (204) or `mediaType` text. */
  readonly schema?: z.ZodType;
  /** A non-JSON body (GET /metrics). */
  readonly mediaType?: string;
  readonly headers?: readonly HeaderName[];
}

export interface BodyDoc {
  /** The schema the route validates the body with. */
  readonly schema: z.ZodType;
  /** An empty body is taken as `{}` (enrollment accept and reject). */
  readonly optional?: boolean;
  readonly example: unknown;
  /**
   * Fields the route passes on untyped (z.unknown) and a later layer validates: their real
   * schema, for the reader (verb, selector: the engine applies these).
   */
  readonly fields?: Readonly<Record<string, z.ZodType>>;
}

export interface RouteDoc {
  readonly method: Method;
  /** OpenAPI form: /v1/agents/{id}. */
  readonly path: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  /** Served without credentials (/health/*). */
  readonly public?: boolean;
  /** Path parameters by name, with what each names. */
  readonly params?: Readonly<Record<string, string>>;
  /** The strict query schema the route reads with readQuery. */
  readonly query?: z.ZodObject;
  readonly body?: BodyDoc;
  /** Success answers by status. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Problem answers particular to this route, by status: when they happen. */
  readonly problems?: Readonly<Record<number, string>>;
}
