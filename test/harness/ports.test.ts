import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LOOPBACK, canConnect, freePort, isPortFree } from './ports.js';

describe('ports', () => {
  it('freePort returns a port that can then be bound and probed', async () => {
    const port = await freePort();
    expect(await isPortFree(port)).toBe(true);
    expect(await canConnect(port)).toBe(false);

    const server = createServer((socket) => socket.destroy());
    server.listen({ host: LOOPBACK, port });
    await once(server, 'listening');
    try {
      expect(await isPortFree(port)).toBe(false);
      expect(await canConnect(port)).toBe(true);
    } finally {
      server.close();
      await once(server, 'close');
    }
  });
});
