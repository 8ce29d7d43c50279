/**
 * The dashboard, served by the lead under /ui/ on the API's port: sign-in, sessions, the app's
 * assets and its live feed (server-sent events). Mounted before the API's guard: /ui/ routes
 * check the session themselves, and for /v1/* a session cookie stands in for the Authorization
 * header (the session's own bearer token, so the API's roles apply unchanged), with the CSRF
 * token required on every write.
 */
import { parseApiToken } from '@mesh30k/shared';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { authenticate } from '../api/auth/authenticate.js';
import { DEFAULT_FAILURE_LIMIT, sourceAddress } from '../api/auth/guard.js';
import { NonceCache } from '../api/auth/nonce-cache.js';
import type { ApiAccess, LeadStatusBody } from '../api/app.js';
import { breakerTransitionJson } from '../api/breaker-history-routes.js';
import { ApiError } from '../api/problem.js';
import { readJsonBody } from '../api/read-body.js';
import type { BreakerTransitionListener } from '../breakers/index.js';
import type { LeadEventListener } from '../lib/events.js';
import type { Logger } from '../lib/logger.js';
import { RateLimiter } from '../lib/rate-limiter.js';
import { UI_ASSETS } from './assets.generated.js';
import { feedEventJson } from './feed-events.js';
import { LiveFeed, type LiveFeedOptions } from './live-feed.js';
import { APP_PAGE, LOGIN_PAGE, UI_SECURITY_HEADERS } from './pages.js';
import { UiSessions, csrfMatches, type UiSession } from './sessions.js';

export const UI_SESSION_COOKIE = 'mesh_ui';
export const CSRF_HEADER = 'x-csrf-token';
/** A session lasts as long as its token, and never longer than this. */
export const DEFAULT_UI_SESSION_MAX_MS = 12 * 3_600_000;
/** How often connected browsers get the status box again (it moves without events: impedance). */
export const DEFAULT_UI_STATUS_INTERVAL_MS = 2_000;
const SIGN_IN_MAX_BYTES = 8_192;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface WebUiDeps {
  readonly access: Pick<ApiAccess, 'operators' | 'ed25519' | 'now'>;
  readonly status: () => LeadStatusBody;
  /** The lead's event bus; absent, the feed carries only the periodic status. */
  readonly events?: { on(listener: LeadEventListener): () => void };
  /** Breaker transitions as they are recorded; absent, the feed carries none (event `breaker`). */
  readonly breakerHistory?: { on(listener: BreakerTransitionListener): () => void };
  readonly logger: Logger;
  readonly statusIntervalMs?: number;
  readonly sessionMaxMs?: number;
  readonly feed?: LiveFeedOptions;
}

export interface WebUi {
  readonly app: Hono;
  readonly sessions: UiSessions;
  readonly feed: LiveFeed;
  /** Stops the status timer, leaves the event bus and ends every open stream. */
  close(): void;
}

const SignIn = z.strictObject({ token: z.string().trim().min(1, 'paste a token made by `mesh-lead api-token`').max(4_096) });

export function createWebUi(deps: WebUiDeps): WebUi {
  const { access, logger } = deps;
  const sessions = new UiSessions(access.now);
  const feed = new LiveFeed(deps.feed);
  const failures = new RateLimiter(DEFAULT_FAILURE_LIMIT);
  const nonces = new NonceCache();
  const unsubscribe = deps.events?.on((event) => feed.publish('lead-event', feedEventJson(event))) ?? (() => undefined);
  const leaveBreakers = deps.breakerHistory?.on((record) => feed.publish('breaker', breakerTransitionJson(record))) ?? (() => undefined);
  // One status per interval for all browsers, computed only while one is watching.
  const timer = setInterval(() => {
    if (feed.clients > 0) feed.publish('status', deps.status());
  }, deps.statusIntervalMs ?? DEFAULT_UI_STATUS_INTERVAL_MS);
  timer.unref();

  const sessionOf = (c: Context): UiSession | undefined => sessions.get(getCookie(c, UI_SESSION_COOKIE));
  const requireSession = (c: Context): UiSession => {
    const session = sessionOf(c);
    if (session === undefined) throw new ApiError(401, 'UNAUTHENTICATED', 'Not signed in', 'no dashboard session: sign in at /ui/login', { fields: { reason: 'NO_SESSION' } });
    return session;
  };
  const requireCsrf = (c: Context, session: UiSession): void => {
    if (csrfMatches(session, c.req.header(CSRF_HEADER))) return;
    logger.warn({ request_id: c.get('requestId'), caller: session.operatorId, method: c.req.method, path: c.req.path }, 'dashboard write refused: CSRF token missing or wrong');
    throw new ApiError(403, 'FORBIDDEN', 'CSRF token missing or wrong', `a dashboard write must carry the session's CSRF token in ${CSRF_HEADER}`, { fields: { reason: 'CSRF' } });
  };
  const sessionJson = (session: UiSession) => ({ operator_id: session.operatorId, role: session.role, csrf_token: session.csrf, expires_at: session.expiresAt });

  const app = new Hono();

  // A session cookie on an API request becomes the session's bearer token; writes need the CSRF token too.
  const sessionAsBearer: MiddlewareHandler = async (c, next) => {
    if (c.req.header('authorization') !== undefined) return next();
    const session = sessionOf(c);
    if (session === undefined) return next();
    if (!SAFE_METHODS.has(c.req.method)) requireCsrf(c, session);
    c.req.raw.headers.set('authorization', session.authorization);
    return next();
  };
  app.use('/v1/*', sessionAsBearer);

  app.get('/ui', (c) => c.redirect('/ui/', 302));
  app.get('/ui/', (c) => (sessionOf(c) === undefined ? c.redirect('/ui/login', 302) : c.html(APP_PAGE, 200, UI_SECURITY_HEADERS)));
  app.get('/ui/login', (c) => c.html(LOGIN_PAGE, 200, UI_SECURITY_HEADERS));
  app.get('/ui/assets/:name', (c) => {
    const name = c.req.param('name');
    // Own names only: /ui/assets/toString is not an asset (it was a 500).
    const asset = Object.hasOwn(UI_ASSETS, name) ? UI_ASSETS[name] : undefined;
    if (asset === undefined) throw new ApiError(404, 'NOT_FOUND', 'Not found', `no dashboard asset ${name}`);
    return c.body(asset.body, 200, { 'content-type': asset.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  });

  app.post(
    '/ui/session',
    bodyLimit({
      maxSize: SIGN_IN_MAX_BYTES,
      onError: () => {
        throw new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Body too large', `a sign-in is limited to ${SIGN_IN_MAX_BYTES} bytes`);
      },
    }),
    async (c) => {
      const now = access.now();
      const source = `addr:${sourceAddress(c.env)}`;
      const blocked = failures.peek(source, now);
      if (!blocked.ok) throw new ApiError(429, 'RATE_LIMITED', 'Too many failed sign-ins', `too many failed sign-ins from this address; retry in ${blocked.retryAfterS} s`, { headers: { 'Retry-After': String(blocked.retryAfterS) } });
      // JSON only: a cross-site form cannot send it without a preflight, so nobody signs a browser in as someone else.
      if (!(c.req.header('content-type') ?? '').startsWith('application/json')) throw new ApiError(400, 'BAD_REQUEST', 'JSON expected', 'send the sign-in as application/json: {"token": "..."}');
      const { token } = await readJsonBody(c, SignIn, 'sign-in');
      const authorization = `Bearer ${token}`;
      const outcome = await authenticate({ operators: access.operators, ed25519: access.ed25519, nonces, now: access.now }, { method: 'POST', pathAndQuery: '/ui/session', authorization, body: () => Promise.resolve(new Uint8Array()) });
      if (!outcome.ok) {
        failures.take(source, now);
        logger.warn({ request_id: c.get('requestId'), caller: outcome.operatorId, source, reason: outcome.reason }, 'dashboard sign-in refused');
        throw new ApiError(401, 'UNAUTHENTICATED', 'Sign-in refused', outcome.message, { fields: { reason: outcome.reason } });
      }
      const expiresAt = Math.min(tokenExpiry(token) ?? now, now + (deps.sessionMaxMs ?? DEFAULT_UI_SESSION_MAX_MS));
      const session = sessions.open({ operatorId: outcome.caller.operatorId, role: outcome.caller.role, authorization, expiresAt });
      setCookie(c, UI_SESSION_COOKIE, session.id, {
        path: '/',
        httpOnly: true,
        sameSite: 'Strict',
        secure: new URL(c.req.url).protocol === 'https:',
        maxAge: Math.max(1, Math.floor((expiresAt - now) / 1_000)),
      });
      logger.info({ request_id: c.get('requestId'), caller: session.operatorId, role: session.role, expires_at: expiresAt }, 'dashboard session opened');
      return c.json(sessionJson(session));
    },
  );

  app.get('/ui/session', (c) => c.json(sessionJson(requireSession(c)), 200, { 'cache-control': 'no-store' }));

  app.post('/ui/logout', (c) => {
    const session = requireSession(c);
    requireCsrf(c, session);
    sessions.close(session.id);
    deleteCookie(c, UI_SESSION_COOKIE, { path: '/' });
    return c.body(null, 204);
  });

  app.get('/ui/events', (c) => {
    const session = requireSession(c);
    const header = c.req.header('last-event-id');
    const lastEventId = header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
    const start = feed.subscribe(lastEventId);
    if (!start.ok) throw new ApiError(503, 'UNAVAILABLE', 'Too many dashboards', 'too many live dashboards are connected to this lead; retry later', { headers: { 'Retry-After': '5' } });
    const { subscription } = start;
    logger.debug({ request_id: c.get('requestId'), caller: session.operatorId, last_event_id: lastEventId ?? null, replay: start.replay === 'snapshot' ? 'snapshot' : start.replay.length }, 'dashboard feed opened');
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => subscription.close());
      if (start.replay === 'snapshot') {
        await stream.writeSSE({ event: 'snapshot', id: String(start.lastId), data: JSON.stringify({ status: deps.status() }) });
      } else {
        for (const event of start.replay) await stream.writeSSE({ event: event.type, id: String(event.id), data: JSON.stringify(event.data) });
      }
      for (;;) {
        const batch = await subscription.next();
        if (batch.length === 0) break;
        // The session may have ended (sign-out, expiry) while the stream was open.
        if (sessions.get(session.id) === undefined) break;
        for (const event of batch) await stream.writeSSE({ event: event.type, id: String(event.id), data: JSON.stringify(event.data) });
      }
      if (subscription.endReason === 'overflow') logger.warn({ caller: session.operatorId }, 'dashboard feed cut off: the browser fell behind its queue; it reconnects');
      subscription.close();
    });
  });

  return {
    app,
    sessions,
    feed,
    close: () => {
      clearInterval(timer);
      unsubscribe();
      leaveBreakers();
      feed.closeAll();
    },
  };
}

/** The token's expiry (its signature was checked by authenticate()). */
function tokenExpiry(token: string): number | undefined {
  const parsed = parseApiToken(token);
  return parsed.ok ? parsed.value.claims.exp : undefined;
}
