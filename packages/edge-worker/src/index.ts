import { createApp } from './app.js';

/** The deployed Worker: the Hono app, and the Durable Object class wrangler.jsonc binds. */
export { AgentState } from './state/agent-state.js';

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
