import { performance } from 'node:perf_hooks';
import { connect, type Msg, type NatsConnection } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { BusError } from '../../src/nats/errors.js';
import { NatsSupervisor } from '../../src/nats/supervisor.js';
import { captureLogger } from '../support/log-capture.js';

/**
 * Requests through the sims' shared reply subscription (sharedRequestInbox), against a real
 * nats-server: each request gets its own reply whatever the order replies come in, the
 * requests of one turn leave in the order they were made with their own bytes and headers,
 * and timeouts, nobody serving and a closing connection end a request with the bus's codes.
 */
const cleanups: (() => Promise<void>)[] = [];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ server: NatsServer; supervisor: NatsSupervisor; responder: NatsConnection }> {
  const server = await startNats();
  cleanups.push(() => server.dispose());
  const { logger } = captureLogger('warn');
  const supervisor = new NatsSupervisor({ servers: [server.url], name: 'inbox-test', sharedRequestInbox: true, noAsyncTraces: true }, { logger });
  cleanups.push(() => supervisor.stop());
  supervisor.start();
  await supervisor.whenConnected();
  const responder = await connect({ servers: server.url });
  cleanups.push(() => responder.close());
  return { server, supervisor, responder };
}

/** Collects requests on `subject`; answers none until told (so a test picks the order). */
function holdRequests(responder: NatsConnection, subject: string): { held: Msg[]; until(count: number): Promise<void> } {
  const held: Msg[] = [];
  let waiter: { count: number; resolve: () => void } | undefined;
  responder.subscribe(subject, {
    callback: (error, msg) => {
      if (error !== null) return;
      held.push(msg);
      if (waiter !== undefined && held.length >= waiter.count) waiter.resolve();
    },
  });
  return {
    held,
    until: (count) =>
      held.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => {
            waiter = { count, resolve };
          }),
  };
}

describe('shared request inbox (NatsSupervisor sharedRequestInbox)', () => {
  it('sends the requests of one turn in order with their own bytes and headers, and gives each its own reply whatever the reply order', async () => {
    const { supervisor, responder } = await setup();
    const requests = holdRequests(responder, 'svc.echo');
    await responder.flush();
    const count = 40;
    const sentAt: number[] = [];
    // All made in one synchronous turn, as the beat scheduler starts a slot's beats.
    const replies = Array.from({ length: count }, (_, i) => {
      sentAt.push(performance.now());
      return supervisor.request('svc.echo', encoder.encode(`beat-${i}`), { timeoutMs: 10_000, headers: { 'Mesh-Seq': String(i) } });
    });
    await requests.until(count);
    expect(requests.held.map((msg) => decoder.decode(msg.data))).toEqual(Array.from({ length: count }, (_, i) => `beat-${i}`));
    expect(requests.held.map((msg) => msg.headers?.get('Mesh-Seq'))).toEqual(Array.from({ length: count }, (_, i) => String(i)));
    // Answered last first: each request still resolves with the answer to its own bytes.
    for (const msg of [...requests.held].reverse()) msg.respond(encoder.encode(`re:${decoder.decode(msg.data)}`));
    const answered = await Promise.all(replies);
    const now = performance.now();
    answered.forEach((reply, i) => {
      expect(decoder.decode(reply.data)).toBe(`re:beat-${i}`);
      // Stamped when the client handed it over: after its request left, not after the awaits since.
      expect(reply.arrivedAt).toBeGreaterThan(sentAt[i]!);
      expect(reply.arrivedAt).toBeLessThanOrEqual(now);
    });
  });

  it('times a request out with TIMEOUT, ignores its late reply, and serves the next', async () => {
    const { supervisor, responder } = await setup();
    const requests = holdRequests(responder, 'svc.slow');
    await responder.flush();
    const first = supervisor.request('svc.slow', encoder.encode('late'), { timeoutMs: 150 });
    await expect(first).rejects.toMatchObject({ code: 'TIMEOUT' });
    await requests.until(1);
    requests.held[0]!.respond(encoder.encode('too late'));
    const second = supervisor.request('svc.slow', encoder.encode('next'), { timeoutMs: 10_000 });
    await requests.until(2);
    requests.held[1]!.respond(encoder.encode('in time'));
    expect(decoder.decode((await second).data)).toBe('in time');
  });

  it('says NO_RESPONDERS when nobody serves the subject', async () => {
    const { supervisor } = await setup();
    const error = await supervisor.request('svc.nobody', encoder.encode('x'), { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BusError);
    expect((error as BusError).code).toBe('NO_RESPONDERS');
  });

  it('ends a waiting request with CLOSED when the supervisor stops, and refuses new ones', async () => {
    const { supervisor, responder } = await setup();
    const requests = holdRequests(responder, 'svc.never');
    await responder.flush();
    const waiting = supervisor.request('svc.never', encoder.encode('x'), { timeoutMs: 60_000 });
    await requests.until(1);
    await supervisor.stop();
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(supervisor.request('svc.never', encoder.encode('y'), { timeoutMs: 1_000 })).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
