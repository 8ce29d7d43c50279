import type { Runtime } from './runtime/runtime.js';

/** The Hono environment of the Worker: its bindings, and what the first middleware sets. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** Worker clock when the request reached the Worker, before anything else ran. */
    receivedAt: number;
    runtime: Runtime;
    /** Echoed in X-Request-Id and problem bodies. */
    requestId: string;
  };
}
