/**
 * The local status endpoint: `GET /status` on 127.0.0.1 answers the agent's live state as
 * JSON, and `GET /metrics` the same counters as Prometheus text (for a node exporter's
 * textfile or a scraper on the Pi). Loopback only by default; it is for `mesh-agent status`,
 * SSH scripts and local scrapers, not a network API. Errors are answered as
 * application/problem+json, in this one place.
 */
import { PROBLEM_HEADERS, problemDetails, type ProblemInput } from '@mesh30k/shared';
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

export const METRICS_PATH = '/metrics';

/** The exposition text and its content type. */
export interface MetricsExposition {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface StatusServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Nobody should hold the status socket open; idle connections are cut after this. */
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 5_000;

function answer(response: ServerResponse, status: number, body: unknown, type: string, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...extra });
  response.end(text);
}

function problem(response: ServerResponse, value: ProblemInput, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(problemDetails(value));
  response.writeHead(value.status, { ...PROBLEM_HEADERS, 'content-length': Buffer.byteLength(text), ...extra });
  response.end(text);
}

export function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = new URL(request.url ?? '/', 'http://status.invalid').pathname;
    const metrics = options.metrics;
    if (path !== STATUS_PATH && !(path === METRICS_PATH && metrics !== undefined)) {
      problem(response, { status: 404, code: 'NOT_FOUND', title: 'Not Found', instance: path, detail: metrics === undefined ? `only ${STATUS_PATH} is served` : `only ${STATUS_PATH} and ${METRICS_PATH} are served` });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      problem(response, { status: 405, code: 'METHOD_NOT_ALLOWED', title: 'Method Not Allowed', instance: path, detail: `${request.method ?? '?'} is not allowed here; use GET or HEAD` }, { allow: 'GET, HEAD' });
      return;
    }
    const failed = (error: unknown): void => {
      options.logger?.error({ event: LogEvent.STATUS_FAILED, err: error }, 'status provider failed');
      problem(response, { status: 500, code: 'INTERNAL', title: 'Internal Server Error', instance: path, detail: 'the status provider failed; see the daemon log' });
    };
    if (path === METRICS_PATH && metrics !== undefined) {
      metrics.metrics().then((text) => {
        response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
        response.end(text);
      }, failed);
      return;
    }
    try {
      answer(response, 200, options.provider(), 'application/json');
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
