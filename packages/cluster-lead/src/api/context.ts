/** What the API's middleware puts on each request's context, typed for every route. */
import type { Caller } from './auth/authenticate.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** Echoed in X-Request-Id, problem bodies and log lines. */
    requestId: string;
    /** The authenticated operator; unset on /health routes. */
    caller: Caller;
  }
}
