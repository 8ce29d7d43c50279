import type { IncomingFrame } from '@mesh30k/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { trustFixture } from './ingest.test-helper.js';
import { InlineVerifier } from './verifier.js';
import { VerifyPool } from './verify-pool.js';

const codeOf = (result: Awaited<ReturnType<VerifyPool['verify']>>): string => (result.ok ? 'OK' : result.error.code);

describe('verify pool', () => {
  let pool: VerifyPool | undefined;
  afterEach(async () => {
    await pool?.close();
  });

  it('gives the same answers as inline verification, from worker threads', async () => {
    const fx = await trustFixture();
    const agent = await fx.agent('pi-1');
    const stranger = await fx.agent('pi-x', { enrolled: false });
    const good = await agent.frame();
    const tampered = { ...good, body: good.body.map((b, i) => (i === 10 ? b ^ 1 : b)) };
    const frames: IncomingFrame[] = [
      good,
      tampered,
      await stranger.frame(),
      { body: good.body, signerId: 'pi-1' },
      { body: good.body },
      { ...(await agent.frame()), signature: 'not-a-signature' },
    ];
    const rules = { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] as const };
    const inline = new InlineVerifier(rules);
    pool = new VerifyPool({ rules, logger: silentLogger() }, { threads: 2, batchMax: 4, queueMax: 1_000 });
    await pool.ready;
    const fromPool = await Promise.all(frames.map((frame) => pool!.verify(frame)));
    const fromInline = await Promise.all(frames.map((frame) => inline.verify(frame)));
    expect(fromPool.map(codeOf)).toEqual(['OK', 'BAD_SIGNATURE', 'NOT_ENROLLED', 'UNSIGNED', 'UNSIGNED', 'BAD_SIGNATURE']);
    expect(fromPool.map(codeOf)).toEqual(fromInline.map(codeOf));
    const verified = fromPool[0]!;
    expect(verified.ok && verified.value.message).toEqual(fromInline[0]!.ok && fromInline[0]!.value.message);
    expect(verified.ok && verified.value.body).toBe(good.body);
  });

  it('verifies a large burst in batches across its workers', async () => {
    const fx = await trustFixture();
    const agents = await Promise.all(Array.from({ length: 8 }, (_, i) => fx.agent(`pi-${i}`)));
    const frames = await Promise.all(Array.from({ length: 400 }, (_, i) => agents[i % agents.length]!.frame({ seq: i })));
    pool = new VerifyPool({ rules: { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] }, logger: silentLogger() }, { threads: 2, batchMax: 32, queueMax: 10_000 });
    const results = await Promise.all(frames.map((frame) => pool!.verify(frame)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.map((r) => (r.ok ? (r.value.message as { seq: number }).seq : -1))).toEqual(frames.map((_, i) => i));
    expect(pool.backlog).toBe(0);
  });

  it('verifies frames with other kinds and keys in the same burst (ACKs beside heartbeats)', async () => {
    const fx = await trustFixture();
    const enrolled = await fx.agent('pi-1');
    const edge = await fx.agent('edge-1', { enrolled: false });
    // The override knows only the Worker's key and accepts only ACKs.
    const edgeOnly = { accept: ['ACK'] as const, resolveKey: (signer: string) => (signer === 'edge-1' ? { ok: true as const, value: edge.publicKey } : fx.resolveKey(signer)) };
    const heartbeatAsAck = { accept: ['ACK'] as const, resolveKey: fx.resolveKey };
    pool = new VerifyPool({ rules: { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] }, logger: silentLogger() }, { threads: 2, batchMax: 3, queueMax: 1_000 });
    const results = await Promise.all([
      pool.verify(await enrolled.frame()),
      pool.verify(await edge.frame()),
      pool.verify(await edge.frame(), { accept: ['HEARTBEAT'], resolveKey: edgeOnly.resolveKey }),
      pool.verify(await enrolled.frame(), heartbeatAsAck),
      pool.verify(await enrolled.frame()),
    ]);
    expect(results.map(codeOf)).toEqual(['OK', 'NOT_ENROLLED', 'OK', 'UNKNOWN_KIND', 'OK']);
  });

  it('refuses beyond its queue as OVERLOADED instead of queueing without bound', async () => {
    const fx = await trustFixture();
    const agent = await fx.agent('pi-1');
    const frame = await agent.frame();
    pool = new VerifyPool({ rules: { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] }, logger: silentLogger() }, { threads: 1, batchMax: 64, queueMax: 3 });
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => pool!.verify(frame)));
    expect(results.map(codeOf)).toEqual(['OK', 'OK', 'OK', 'OVERLOADED', 'OVERLOADED']);
  });

  it('answers VERIFIER_FAILED after close instead of hanging', async () => {
    const fx = await trustFixture();
    const agent = await fx.agent('pi-1');
    pool = new VerifyPool({ rules: { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] }, logger: silentLogger() }, { threads: 1, batchMax: 8, queueMax: 100 });
    await pool.close();
    expect(codeOf(await pool.verify(await agent.frame()))).toBe('VERIFIER_FAILED');
    pool = undefined;
  });

  it('waits flushMs for a batch to fill, across turns of the event loop, and sends a full batch at once', async () => {
    const fx = await trustFixture();
    const agent = await fx.agent('pi-1');
    const frames = await Promise.all(Array.from({ length: 7 }, (_, i) => agent.frame({ seq: i })));
    pool = new VerifyPool({ rules: { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] }, logger: silentLogger() }, { threads: 1, batchMax: 4, queueMax: 100, flushMs: 1_500 });
    await pool.ready;
    const results: Promise<unknown>[] = [];
    // One frame per turn: without the wait each would be a batch of its own.
    for (const frame of frames) {
      results.push(pool.verify(frame));
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Four frames filled a batch and went at once; the other three waited for the timer.
    expect(pool.batchesSent).toBe(1);
    await Promise.all(results);
    expect(pool.batchesSent).toBe(2);
    expect(pool.framesSent).toBe(7);
  });

  it('verifies a priority frame (a session HELLO) before the frames queued ahead of it', async () => {
    const fx = await trustFixture();
    const agent = await fx.agent('pi-1');
    const frames = await Promise.all(Array.from({ length: 5 }, (_, i) => agent.frame({ seq: i })));
    pool = new VerifyPool({ rules: { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] }, logger: silentLogger() }, { threads: 1, batchMax: 1, queueMax: 100, inFlightPerWorker: 1 });
    const order: string[] = [];
    const track = (name: string, result: ReturnType<VerifyPool['verify']>): Promise<unknown> => result.then((r) => order.push(`${name}:${codeOf(r)}`));
    const done = [
      // The first goes to the worker at once; the next three wait on the main thread.
      ...frames.slice(0, 4).map((frame, i) => track(`beat-${i}`, pool!.verify(frame))),
      track('hello', pool.verify(frames[4]!, { accept: ['HEARTBEAT'], resolveKey: fx.resolveKey, priority: true })),
    ];
    await Promise.all(done);
    expect(order).toEqual(['beat-0:OK', 'hello:OK', 'beat-1:OK', 'beat-2:OK', 'beat-3:OK']);
  });

  it('refuses frames that waited longer than maxWaitMs as OVERLOADED, without verifying them', async () => {
    const fx = await trustFixture();
    const agent = await fx.agent('pi-1');
    const frames = await Promise.all(Array.from({ length: 4 }, (_, i) => agent.frame({ seq: i })));
    let now = 0;
    // The worker's own deadline check (its Date.now) is kept out of this test: deadlines an hour ahead.
    pool = new VerifyPool(
      { rules: { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] }, logger: silentLogger(), now: () => now, wallNow: () => Date.now() + 3_600_000 },
      { threads: 1, batchMax: 1, queueMax: 100, inFlightPerWorker: 1, maxWaitMs: 1_000 },
    );
    // The first is with the worker; two wait behind it until the clock has moved past their limit.
    const early = frames.slice(0, 3).map((frame) => pool!.verify(frame));
    now = 1_001;
    const late = pool.verify(frames[3]!);
    const results = await Promise.all([...early, late]);
    expect(results.map(codeOf)).toEqual(['OK', 'OVERLOADED', 'OVERLOADED', 'OK']);
    expect(pool.framesExpired).toBe(2);
    expect(pool.framesSent).toBe(2);
    expect(pool.backlog).toBe(0);
  });

  it('never refuses a patient frame (an ACK) for its wait, on the main thread or in the worker', async () => {
    const fx = await trustFixture();
    const agent = await fx.agent('pi-1');
    const frames = await Promise.all(Array.from({ length: 4 }, (_, i) => agent.frame({ seq: i })));
    let now = 0;
    // Worker deadlines an hour in the past: any frame given one is skipped there.
    pool = new VerifyPool(
      { rules: { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] }, logger: silentLogger(), now: () => now, wallNow: () => Date.now() - 3_600_000 },
      { threads: 1, batchMax: 1, queueMax: 100, inFlightPerWorker: 1, maxWaitMs: 1_000 },
    );
    const patient = { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] as const, patient: true };
    const waiting = frames.map((frame) => pool!.verify(frame, patient));
    now = 5_000;
    const results = await Promise.all(waiting);
    expect(results.map(codeOf)).toEqual(['OK', 'OK', 'OK', 'OK']);
    expect(pool.framesExpired).toBe(0);
  });

  it('takes patient frames and the others a batch each in turn', async () => {
    const fx = await trustFixture();
    const agent = await fx.agent('pi-1');
    const frames = await Promise.all(Array.from({ length: 6 }, (_, i) => agent.frame({ seq: i })));
    pool = new VerifyPool({ rules: { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] }, logger: silentLogger() }, { threads: 1, batchMax: 1, queueMax: 100, inFlightPerWorker: 1 });
    const patient = { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] as const, patient: true };
    const order: string[] = [];
    // The first beat goes to the worker at once; the rest wait: three patient frames queued behind two beats.
    const done = [
      pool.verify(frames[0]!).then(() => order.push('beat-0')),
      pool.verify(frames[1]!).then(() => order.push('beat-1')),
      pool.verify(frames[2]!).then(() => order.push('beat-2')),
      pool.verify(frames[3]!, patient).then(() => order.push('ack-3')),
      pool.verify(frames[4]!, patient).then(() => order.push('ack-4')),
      pool.verify(frames[5]!, patient).then(() => order.push('ack-5')),
    ];
    await Promise.all(done);
    expect(order).toEqual(['beat-0', 'ack-3', 'beat-1', 'ack-4', 'beat-2', 'ack-5']);
  });

  it('has a worker skip frames whose deadline passed while they sat in its queue', async () => {
    const fx = await trustFixture();
    const agent = await fx.agent('pi-1');
    const frames = await Promise.all(Array.from({ length: 3 }, (_, i) => agent.frame({ seq: i })));
    // Deadlines an hour in the past, as the worker's clock reads them.
    pool = new VerifyPool(
      { rules: { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] }, logger: silentLogger(), wallNow: () => Date.now() - 3_600_000 },
      { threads: 1, batchMax: 8, queueMax: 100, maxWaitMs: 1_000 },
    );
    const results = await Promise.all(frames.map((frame) => pool!.verify(frame)));
    expect(results.map(codeOf)).toEqual(['OVERLOADED', 'OVERLOADED', 'OVERLOADED']);
    expect(pool.framesSent).toBe(3);
    expect(pool.framesExpired).toBe(3);
  });
});
