/**
 * The local status endpoint: `GET /status` on 127.0.0.1 answers the agent's live state as
 * JSON, and `GET /metrics` the same counters as Prometheus text (for a node exporter's
 * textfile or a scraper on the Pi). Loopback only by default; it is for `mesh-agent status`,
 * SSH scripts and local scrapers, not a network API. Errors are answered as
 * application/problem+json, in this one place.
 */
import { API_RESPONSE_HEADERS, PROBLEM_HEADERS, acceptableRequestId, methodNotAllowed, problemDetails, type ProblemInput } from '@mesh30k/shared';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { LogEvent } from '../logging/events.js';
import { STATUS_PATH } from './status-schema.js';
import type { AgentStatus } from './status-schema.js';

export interface StatusServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Called per request; must be cheap and must not block. */
  provider: () => AgentStatus;
  /** What GET /metrics answers (a prom-client Registry is one); absent, /metrics is 404. Must be cheap. */
  metrics?: MetricsExposition;
  logger?: Logger;
}

/** The exposition text and its content type. */
export interface MetricsExposition {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export const METRICS_PATH = '/metrics';

export interface StatusServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Nobody should hold the status socket open; idle connections are cut after this. */
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 5_000;

const ROUTE_METHODS = ['GET'];

/** Writes one answer; Node drops the body of a HEAD but keeps its Content-Length. */
function send(response: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  response.writeHead(status, { ...API_RESPONSE_HEADERS, ...headers, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function problem(response: ServerResponse, value: ProblemInput, extra: Record<string, string>): void {
  send(response, value.status, JSON.stringify(problemDetails(value)), { ...PROBLEM_HEADERS, ...extra });
}

/** The caller's X-Request-Id when it is sane, else a fresh one; echoed on every answer. */
function requestIdOf(request: IncomingMessage): string {
  const offered = request.headers['x-request-id'];
  return typeof offered === 'string' && acceptableRequestId(offered) ? offered : `r-${randomBytes(8).toString('hex')}`;
}

export function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = new URL(request.url ?? '/', 'http://status.invalid').pathname;
    const requestId = requestIdOf(request);
    const idHeader = { 'x-request-id': requestId };
    const metrics = options.metrics;
    if (path !== STATUS_PATH && !(path === METRICS_PATH && metrics !== undefined)) {
      problem(response, { status: 404, code: 'NOT_FOUND', title: 'Not Found', instance: path, requestId, detail: metrics === undefined ? `only ${STATUS_PATH} is served` : `only ${STATUS_PATH} and ${METRICS_PATH} are served` }, idHeader);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const refused = methodNotAllowed(request.method ?? '?', ROUTE_METHODS, path);
      problem(response, { ...refused.problem, requestId }, { ...refused.headers, ...idHeader });
      return;
    }
    const failed = (error: unknown): void => {
      options.logger?.error({ event: LogEvent.STATUS_FAILED, err: error, request_id: requestId }, 'status provider failed');
      problem(response, { status: 500, code: 'INTERNAL', title: 'Internal Server Error', instance: path, requestId, detail: 'the status provider failed; see the daemon log' }, idHeader);
    };
    if (path === METRICS_PATH && metrics !== undefined) {
      metrics.metrics().then((text) => send(response, 200, text, { 'content-type': metrics.contentType, ...idHeader }), failed);
      return;
    }
    try {
      send(response, 200, JSON.stringify(options.provider()), { 'content-type': 'application/json', ...idHeader });
    } catch (error) {
      failed(error);
    }
  };

  const server: Server = createServer(handle);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.on('error', (error) => options.logger?.error({ event: LogEvent.STATUS_FAILED, err: error }, 'status server error'));
      const { port } = server.address() as AddressInfo;
      options.logger?.info({ event: LogEvent.STATUS_LISTENING, host: options.host, port }, `status on http://${options.host}:${port}${STATUS_PATH}`);
      resolve({
        host: options.host,
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
