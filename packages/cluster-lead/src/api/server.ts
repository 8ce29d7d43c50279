import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { LeadError, describeError } from '../lib/errors.js';
import type { ApiTransport } from './api-transport.js';

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves the app on Node's HTTPS server (or HTTP, when the transport says so: see
 * api-transport.ts); resolves once it listens (port 0 picks a free one). A port that is taken
 * or not allowed, or a key that does not fit its certificate, is an operator's problem
 * (LeadError naming the field), not a bug.
 */
export function startApiServer(app: Hono, options: { host: string; port: number; transport?: ApiTransport }): Promise<ApiServer> {
  const transport = options.transport ?? { kind: 'http' };
  return new Promise((resolve, reject) => {
    let server: Server;
    try {
      server = (
        transport.kind === 'https'
          ? serve({ fetch: app.fetch, hostname: options.host, port: options.port, createServer: createHttpsServer, serverOptions: { cert: transport.cert, key: transport.key } })
          : serve({ fetch: app.fetch, hostname: options.host, port: options.port })
      ) as Server;
    } catch (cause) {
      reject(new LeadError('CONFIG_INVALID', `config http.tls: the certificate and key cannot serve TLS: ${describeError(cause)}`, { cause }));
      return;
    }
    const failed = (error: Error): void => reject(listenError(error, options));
    server.once('error', failed);
    server.once('listening', () => {
      server.off('error', failed);
      const port = (server.address() as AddressInfo).port;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        url: `${transport.kind}://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** The one line an operator needs when the API cannot listen; anything else stays as it was. */
function listenError(error: Error, options: { host: string; port: number }): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${options.host}:${options.port}`;
  if (code === 'EADDRINUSE') {
    return new LeadError('PORT_IN_USE', `http.port ${options.port}: ${where} is already in use by another process; stop it, or set http.port (MESH_LEAD_HTTP__PORT) to a free port`, { cause: error });
  }
  if (code === 'EACCES') {
    return new LeadError('LISTEN_DENIED', `http.port ${options.port}: not allowed to listen on ${where} (ports below 1024 need privileges); set http.port (MESH_LEAD_HTTP__PORT) to 1024 or above`, { cause: error });
  }
  if (code === 'EADDRNOTAVAIL') {
    return new LeadError('LISTEN_DENIED', `http.host ${options.host}: no such address on this machine; set http.host (MESH_LEAD_HTTP__HOST) to one of its addresses`, { cause: error });
  }
  return error;
}
