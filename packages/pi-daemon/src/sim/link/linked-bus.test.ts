// Many virtual agents released in one pass of the shared precise timer, each publishing through
// its own emulated link: every ACK enters its link at its own stamp, and leaves after its own
// link's delay, never behind another agent's slower link. Ordering only; precision is the
// arrival benchmark's job.
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { PreciseTimer } from '../../clock/precise-timer.js';
import type { Bus, BusMessage } from '../../nats/bus.js';
import { AgentLink } from './agent-link.js';
import { DelayLine } from './delay-line.js';
import { LinkedBus } from './linked-bus.js';

/** The shared connection: notes when each agent's message reached it. */
class HandoverBus implements Bus {
  readonly handed = new Map<string, number>();
  connected = true;
  publish(subject: string): void {
    this.handed.set(subject, performance.now());
  }
  request(): Promise<BusMessage> {
    return new Promise(() => undefined);
  }
  subscribe(): () => void {
    return () => undefined;
  }
  onEvent(): () => void {
    return () => undefined;
  }
}

const monotonic = { now: () => performance.now() };
let line: DelayLine;
let timer: PreciseTimer;
afterEach(() => {
  line.stop();
  timer.stop();
});

describe('per-agent uplinks behind one release pass', () => {
  it('sends each ACK into its own link at its stamp, and a slow link holds back only its own agent', async () => {
    line = new DelayLine();
    timer = new PreciseTimer({ marginMs: 2 });
    const inner = new HandoverBus();
    const delays = { slow: 300, a: 3, b: 3, c: 6 };
    const agents = Object.entries(delays).map(([id, baseMs], k) => {
      const link = new AgentLink(line, { up: { baseMs, jitterMs: 0 }, down: { baseMs: 1, jitterMs: 0 } }, 11 + k);
      return { id, bus: new LinkedBus(inner, link), stamp: Number.NaN };
    });
    const deadline = performance.now() + 30;
    for (const agent of agents) {
      timer.schedule({
        clock: monotonic,
        deadlineLocal: deadline,
        effect: () => {
          agent.stamp = performance.now();
          agent.bus.publish(agent.id, new Uint8Array(1));
        },
        onRelease: () => undefined,
      });
    }
    while (inner.handed.size < agents.length) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const agent of agents) {
      const ticket = agent.bus.lastUplink!;
      expect(ticket.delayMs).toBeCloseTo(delays[agent.id as keyof typeof delays], 6);
      // Never before its own stamp plus its own link's delay: the emulated link is honoured.
      expect(inner.handed.get(agent.id)! - agent.stamp).toBeGreaterThanOrEqual(ticket.delayMs - 1e-3);
      // The ticket notes the hand-over just before the connection has it.
      expect(ticket.handedAt).toBeLessThanOrEqual(inner.handed.get(agent.id)!);
      expect(ticket.handedAt - agent.stamp).toBeGreaterThanOrEqual(ticket.delayMs - 1e-3);
    }
    // The fast agents did not wait for the slow one's link.
    const slowHanded = inner.handed.get('slow')!;
    for (const id of ['a', 'b', 'c']) expect(inner.handed.get(id)!).toBeLessThan(slowHanded);
  });

  it('dates each agent\'s send as on its own device: the wait behind the pass\'s earlier sends is not the agent\'s', async () => {
    line = new DelayLine();
    timer = new PreciseTimer({ marginMs: 2 });
    const inner = new HandoverBus();
    const SEND_MS = 2;
    const sent: { stamp: number; ticketSentAt: number; startedAt: number; before: number; after: number; queuedMs: number }[] = [];
    const deadline = performance.now() + 30;
    for (let k = 0; k < 5; k++) {
      const link = new AgentLink(line, { up: { baseMs: 1, jitterMs: 0 }, down: { baseMs: 1, jitterMs: 0 } }, 21 + k);
      const bus = new LinkedBus(inner, link, () => performance.now() - timer.effectQueuedMs);
      timer.schedule({
        clock: monotonic,
        deadlineLocal: deadline,
        effect: (stamp, info) => {
          const startedAt = performance.now();
          while (performance.now() - startedAt < SEND_MS); // this agent's own slow send path
          const before = performance.now();
          bus.publish(`agent-${k}`, new Uint8Array(1));
          const after = performance.now();
          sent.push({ stamp, ticketSentAt: bus.lastUplink!.sentAt, startedAt, before, after, queuedMs: info.effectDelayMs });
        },
        onRelease: () => undefined,
      });
    }
    while (inner.handed.size < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const s of sent) {
      // The send is dated back by exactly its wait behind the pass's earlier sends...
      expect(s.ticketSentAt).toBeGreaterThanOrEqual(s.before - s.queuedMs);
      expect(s.ticketSentAt).toBeLessThanOrEqual(s.after - s.queuedMs);
      // ...so its own send path still counts.
      expect(s.ticketSentAt - (s.startedAt - s.queuedMs)).toBeGreaterThanOrEqual(SEND_MS);
    }
    // The last effect waited behind every earlier send that started after its own stamp. The five
    // deadlines are equal, but each due time is re-read from the clock, so a stamp may fall one
    // effect later: at least three sends still ran between the last stamp and its effect.
    const last = sent[sent.length - 1]!;
    const sendsAhead = sent.slice(0, -1).filter((s) => s.startedAt >= last.stamp).length;
    expect(sendsAhead).toBeGreaterThanOrEqual(3);
    expect(last.queuedMs).toBeGreaterThanOrEqual(sendsAhead * SEND_MS);
  });
});
