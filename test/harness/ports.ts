// Port helpers for services bound to loopback.
import { createServer, connect } from 'node:net';

export const LOOPBACK = '127.0.0.1';

const CONNECT_PROBE_TIMEOUT_MS = 2_000;

/**
 * A port that was free a moment ago: the kernel picks it for a listener on port 0, which is
 * then closed. Another process may still take it before the caller binds it, so callers
 * that spawn servers should retry on "address in use".
 */
export function freePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True if a listener can bind the port right now. */
export function isPortFree(port: number, host: string = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** True if something accepts a TCP connection on the port (the probe disconnects at once). */
export function canConnect(
  port: number,
  host: string = LOOPBACK,
  timeoutMs: number = CONNECT_PROBE_TIMEOUT_MS,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (accepted: boolean): void => {
      socket.destroy();
      resolve(accepted);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
