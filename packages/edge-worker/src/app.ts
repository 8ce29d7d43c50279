import { Hono } from 'hono';
import type { AppEnv } from './app-env.js';
import { systemClock } from './clock/system-clock.js';
import { coordinateRoute } from './coordinate/route.js';
import { healthRoute } from './health/route.js';
import { EdgeError } from './http/errors.js';
import { onError, onNotFound } from './http/problem.js';
import { EDGE_ROUTES } from './http/routes.js';
import { pingRoute } from './ping/route.js';
import { runtimeFor, type RuntimeOverrides } from './runtime/runtime.js';

/**
 * The Worker as a Hono app. The first middleware stamps the receipt time before anything
 * else runs (it is t2 of a ping and received_at_local of an ACK), then builds the runtime
 * from the bindings. Errors of every route become problem+json in one place.
 */
export function createApp(overrides: RuntimeOverrides = {}): Hono<AppEnv> {
  const clock = overrides.clock ?? systemClock;
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    c.set('receivedAt', clock.now());
    c.set('runtime', await runtimeFor(c.env, overrides));
    await next();
  });

  app.post(EDGE_ROUTES.coordinate.path, coordinateRoute);
  app.post(EDGE_ROUTES.ping.path, pingRoute);
  app.get(EDGE_ROUTES.health.path, healthRoute);
  for (const route of Object.values(EDGE_ROUTES)) {
    app.all(route.path, (c) => {
      throw new EdgeError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${route.path}; use ${route.method}`);
    });
  }

  app.onError(onError);
  app.notFound(onNotFound);
  return app;
}
