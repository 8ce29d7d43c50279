// A loopback TCP echo service: the simplest target to put a link in front of.
import { createServer, type Socket } from 'node:net';
import { LOOPBACK } from './ports.js';

export interface TcpEcho {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export function startTcpEcho(): Promise<TcpEcho> {
  const sockets = new Set<Socket>();
  // Half-open so a client's FIN is echoed back only after the data before it.
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => {
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : 0;
      let closing: Promise<void> | undefined;
      resolve({
        host: LOOPBACK,
        port,
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
          });
          return closing;
        },
      });
    });
  });
}
