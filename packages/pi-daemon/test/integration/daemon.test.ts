import { READY, TRANSIT } from '@mesh30k/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsServer, TempDir } from '../../../../test/harness/index.js';
import { memoryOutput } from '../../src/cli/output.js';
import { runCli } from '../../src/cli/run-cli.js';
import { provisionDaemon } from '../support/daemon-config.js';
import { spawnCli, type DaemonProcess } from '../support/daemon-process.js';
import type { TestMesh } from '../support/fixtures.js';
import type { LogLine } from '../support/log-capture.js';
import type { MinimalLead } from '../support/minimal-lead.js';
import { startLeadRig, type LeadRig } from '../support/lead-rig.js';

/** SIGTERM to exit: the daemon's own bound is 15 s; a healthy stop takes far less. */
const STOP_WITHIN_MS = 8_000;

let nats: NatsServer;
let dir: TempDir;
let mesh: TestMesh;
let lead: MinimalLead;
let rig: LeadRig;

beforeAll(async () => {
  rig = await startLeadRig();
  ({ nats, dir, mesh, lead } = rig);
});

afterAll(async () => {
  await rig.close();
});

const event = (name: string) => (line: LogLine) => line.event === name;

async function stopWithin(daemon: DaemonProcess, ms: number): Promise<{ code: number | null; tookMs: number }> {
  const started = Date.now();
  daemon.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    daemon.exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`daemon did not exit within ${ms} ms of SIGTERM`)), ms);
    }),
  ]);
  clearTimeout(timer);
  return { code: outcome.code, tookMs: Date.now() - started };
}

describe('the daemon process', () => {
  it('serves status, and on SIGTERM hands held work back as TRANSIT and exits 0', async () => {
    const config = await provisionDaemon({ mesh, dir: `${dir.path}/a`, agentId: 'pi-term', natsUrl: nats.url });
    const daemon = spawnCli(['run', '--config', config]);
    try {
      const listening = await daemon.waitForLine(event('status.listening'), 'the status endpoint');
      await daemon.waitForLine(event('clock.synced'), 'clock sync');

      const io = memoryOutput();
      expect(await runCli(['status', '--json', '--port', String(listening.port)], io)).toBe(0);
      const status = JSON.parse(io.stdout.join('')) as { agent_id: string; connected: boolean; frozen: boolean; clock: { offset_ms: number | null } };
      expect(status).toMatchObject({ agent_id: 'pi-term', connected: true, frozen: false });
      expect(status.clock.offset_ms).not.toBeNull();

      // One finished before the stop, one still held for a T far away.
      await lead.coordinate({ operation_id: 'op-done', release_mode: 'lead', target_time: lead.now() + 200 });
      await lead.waitUntil(() => lead.ackFor('op-done', 'pi-term') !== undefined, 5_000, 'first ACK');
      await lead.coordinate({ operation_id: 'op-held', release_mode: 'hold', target_time: lead.now() + 60_000 });
      await daemon.waitForLine((l) => l.event === 'coordinate.received' && l.operation === 'op-held', 'the held operation');

      const { code, tookMs } = await stopWithin(daemon, STOP_WITHIN_MS);
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(STOP_WITHIN_MS);
      expect(lead.ackFor('op-done', 'pi-term')?.trinary_state).toBe(READY);
      const handedBack = lead.ackFor('op-held', 'pi-term');
      expect(handedBack).toMatchObject({ trinary_state: TRANSIT, refusal: { code: 'SHUTTING_DOWN' } });
      expect(daemon.lines.some(event('coordinate.handed_back'))).toBe(true);
    } finally {
      daemon.kill('SIGKILL');
    }
  });

  it('loses nothing across a NATS outage and a daemon restart: every outbox entry arrives once, in order', async () => {
    const config = await provisionDaemon({ mesh, dir: `${dir.path}/b`, agentId: 'pi-out', natsUrl: nats.url, extra: { log_level: 'debug' } });
    let daemon = spawnCli(['run', '--config', config]);
    try {
      await daemon.waitForLine(event('clock.synced'), 'clock sync');
      const ops = Array.from({ length: 12 }, (_, n) => `op-out-${n}`);
      const start = lead.now() + 800;
      for (const [n, op] of ops.entries()) await lead.coordinate({ operation_id: op, release_mode: 'hold', target_time: start + n * 150 });
      await daemon.waitForCount(event('coordinate.received'), ops.length, 'all operations held');
      // Mid-stream: some ACKs are through, the rest are released while NATS is dead.
      await lead.waitUntil(() => ops.filter((op) => lead.ackFor(op, 'pi-out')).length >= 3, 10_000, 'the first ACKs');
      await nats.kill();
      const answered = (): number => daemon.lines.filter((l) => l.event === 'ack.sent' || l.event === 'outbox.enqueued').length;
      await daemon.waitForCount((l) => l.event === 'ack.sent' || l.event === 'outbox.enqueued', ops.length, 'every ACK confirmed or outboxed', 15_000);
      expect(answered()).toBe(ops.length);
      const outboxed = daemon.lines.filter(event('outbox.enqueued'));
      expect(outboxed.length).toBeGreaterThan(0);
      const seqs = outboxed.map((l) => l.seq as number);

      // Stop while NATS is down, then start again while it is still down.
      expect((await stopWithin(daemon, STOP_WITHIN_MS)).code).toBe(0);
      daemon = spawnCli(['run', '--config', config]);
      await daemon.waitForLine(event('agent.started'), 'the restarted daemon');
      expect(daemon.lines.some(event('agent.connected'))).toBe(false);

      await nats.restart();
      await daemon.waitForCount(event('outbox.replayed'), seqs.length, 'the outbox replayed', 30_000);
      await lead.waitUntil(() => ops.every((op) => lead.ackFor(op, 'pi-out') !== undefined), 10_000, 'every operation acknowledged');

      const late = lead.ackArrivals.filter((a) => a.agent_id === 'pi-out' && a.late);
      process.stdout.write(`outbox test: ${ops.length} ops, ${seqs.length} outboxed, ${late.length} late arrivals at the lead\n`);
      const firstSeen = [...new Set(late.map((a) => a.outbox_seq!))];
      expect(firstSeen).toEqual([...seqs].sort((a, b) => a - b));
      expect(firstSeen).toEqual(seqs);
      // Exactly once where it counts: one stored ACK per operation, every one READY.
      expect(ops.map((op) => lead.ackFor(op, 'pi-out')?.trinary_state)).toEqual(ops.map(() => READY));
      expect(new Set(lead.ackArrivals.filter((a) => a.agent_id === 'pi-out' && a.late).map((a) => a.operation_id)).size).toBe(seqs.length);
      expect((await stopWithin(daemon, STOP_WITHIN_MS)).code).toBe(0);
    } finally {
      daemon.kill('SIGKILL');
    }
  });
});
