import { beforeAll, describe, expect, it } from 'vitest';
import { coordinate, header, ping, postCoordinate, postPing, readSigned, withClockOffset } from './support/lead.js';
import { fmt, summarize } from './support/stats.js';

/**
 * Hold mode inside workerd: the ACK's ready_at_local is never before T converted to the Worker
 * clock, and how far after it lands is measured and annotated on the test (`--reporter=verbose`
 * shows it). Precision as a distribution under load is the benchmark's job (bench:edge).
 */
describe('hold mode', () => {
  // The first request of a test isolate loads the Worker's modules through the test pool
  // (hundreds of ms); T must not be measured against that.
  beforeAll(async () => {
    await readSigned(await postPing(ping()), 'PONG');
  });

  it('becomes READY at T on the Worker clock, never before it', async ({ annotate }) => {
    const lateness: number[] = [];
    for (let i = 0; i < 30; i++) {
      // Fractional T, as the lead's schedule produces it.
      const message = await coordinate({ release_mode: 'hold', target_time: Date.now() + 30 + (i % 10) * 0.37 });
      const ack = await readSigned(await postCoordinate(message), 'ACK');
      expect(ack.trinary_state).toBe(1);
      expect(ack.ready_at_local).toBeGreaterThanOrEqual(message.target_time);
      // Processing excludes the hold.
      expect(ack.processing_ms).toBeLessThanOrEqual(ack.ready_at_local - ack.received_at_local);
      lateness.push(ack.ready_at_local - message.target_time);
    }
    const s = summarize(lateness);
    await annotate(`hold lateness (ready_at_local - T_local), one at a time: ${fmt(s)}`);
    // Whole-millisecond clock: up to 1 ms comes from rounding up alone. The bound only catches
    // a hold that overshoots grossly; a loaded test machine adds its own scheduling delay (28 ms
    // p50 was seen with the machine fully busy).
    expect(s.p50).toBeLessThan(150);
  });

  it('holds overlapping requests each to its own T', async ({ annotate }) => {
    const lateness = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const message = await coordinate({ release_mode: 'hold', target_time: Date.now() + 60 + i * 15.37 });
        const ack = await readSigned(await postCoordinate(message), 'ACK');
        expect(ack.ready_at_local).toBeGreaterThanOrEqual(message.target_time);
        return ack.ready_at_local - message.target_time;
      }),
    );
    await annotate(`hold lateness, 8 overlapping: ${fmt(summarize(lateness))}`);
  });

  it('uses the offset the lead stated: T_local = target_time - clock_offset_ms', async ({ annotate }) => {
    const offset = 5_000.25; // mesh time runs 5 s ahead of this Worker's clock
    const lateness: number[] = [];
    for (let i = 0; i < 8; i++) {
      const meshNow = Date.now() + offset;
      const message = withClockOffset(await coordinate({ ...header(meshNow), release_mode: 'hold', target_time: meshNow + 30 + i * 1.7 }), offset);
      const tLocal = message.target_time - offset;
      const ack = await readSigned(await postCoordinate(message), 'ACK');
      expect(ack.ready_at_local).toBeGreaterThanOrEqual(tLocal);
      expect(ack.ready_at_local).toBeLessThan(message.target_time - 4_000);
      expect(ack.ready_at_mesh).toBeCloseTo(ack.ready_at_local + offset, 6);
      lateness.push(ack.ready_at_local - tLocal);
    }
    // How close to T is measured in bench:edge; here, that T was taken in the Worker's own clock
    // (the bounds above), whatever the machine's load.
    await annotate(`hold lateness with a stated offset of ${offset} ms: ${fmt(summarize(lateness))}`);
  });

  it('answers at once when T has already passed, with ready_at_local after T', async () => {
    const message = await coordinate({ release_mode: 'hold', target_time: Date.now() - 5 });
    const ack = await readSigned(await postCoordinate(message), 'ACK');
    expect(ack.trinary_state).toBe(1);
    expect(ack.ready_at_local).toBeGreaterThan(message.target_time);
  });
});

describe('time inside workerd (what hold mode has to work with)', () => {
  it('measures the clock and timer granularity', async ({ annotate }) => {
    const stamps: number[] = [];
    for (let i = 0; i < 20; i++) {
      stamps.push(Date.now(), performance.now());
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const fractional = stamps.filter((t) => !Number.isInteger(t)).length;

    // Does the clock move during pure computation (no I/O)? On Cloudflare it does not.
    const before = Date.now();
    let x = 0;
    for (let i = 0; i < 3e6; i++) x += Math.sqrt(i);
    const movedDuringCpu = Date.now() - before;

    // setTimeout against fractional delays: the observed sleep minus the one asked for.
    const error: number[] = [];
    for (let i = 0; i < 30; i++) {
      const want = 2 + (i % 10) * 0.3;
      const start = Date.now();
      await new Promise((resolve) => setTimeout(resolve, want));
      error.push(Date.now() - start - want);
    }
    const s = summarize(error);
    await annotate(
      `fractional clock readings ${fractional}/${stamps.length}; Date.now() moved ${movedDuringCpu} ms over a ` +
        `${x > 0 ? 'CPU-only' : ''} loop; setTimeout(d) observed - d: ${fmt(s)}`,
    );
    expect(fractional).toBe(0);
    // A timer can look up to 1 ms "early" against a fractional delay: the clock shows whole ms.
    expect(s.min).toBeGreaterThan(-1);
  });
});
