import { methodNotAllowed } from '@mesh30k/shared';
import { Hono } from 'hono';
import type { AppEnv } from './app-env.js';
import { systemClock } from './clock/system-clock.js';
import { coordinateRoute } from './coordinate/route.js';
import { healthRoute } from './health/route.js';
import { EdgeError } from './http/errors.js';
import { onError, onNotFound } from './http/problem.js';
import { EDGE_ROUTES } from './http/routes.js';
import { httpSemantics, jsonBodiesOnly } from './http/semantics.js';
import { pingRoute } from './ping/route.js';
import { runtimeFor, type RuntimeOverrides } from './runtime/runtime.js';

/**
 * The Worker as a Hono app. The first middleware stamps the receipt time before anything
 * else runs (it is t2 of a ping and received_at_local of an ACK); the next gives each request
 * its id and each answer its headers (http/semantics.ts); the third builds the runtime from
 * the bindings. Errors of every route become problem+json in one place.
 */
export function createApp(overrides: RuntimeOverrides = {}): Hono<AppEnv> {
  const clock = overrides.clock ?? systemClock;
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    c.set('receivedAt', clock.now());
    await next();
  });
  app.use('*', httpSemantics);
  app.use('*', async (c, next) => {
    c.set('runtime', await runtimeFor(c.env, overrides));
    await next();
  });

  app.post(EDGE_ROUTES.coordinate.path, jsonBodiesOnly, coordinateRoute);
  app.post(EDGE_ROUTES.ping.path, jsonBodiesOnly, pingRoute);
  app.get(EDGE_ROUTES.health.path, healthRoute);
  for (const route of Object.values(EDGE_ROUTES)) {
    app.all(route.path, (c) => {
      const refused = methodNotAllowed(c.req.method, [route.method], route.path);
      throw new EdgeError('METHOD_NOT_ALLOWED', refused.problem.detail, { headers: refused.headers });
    });
  }

  app.onError(onError);
  app.notFound(onNotFound);
  return app;
}
