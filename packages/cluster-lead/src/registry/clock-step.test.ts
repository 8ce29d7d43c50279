import { describe, expect, it } from 'vitest';
import { PersistedAgent } from './persisted-agent.js';
import { INTERVAL, beat, harness, ids } from './registry.test-helper.js';

/** A lead that stored `fleet` and restarts on a clock that moved by `stepMs` (injected clocks). */
function restartedAfterStep(stepMs: number) {
  const before = harness();
  const fleet = ids('pi', 3);
  for (let i = 0; i < 4; i++) {
    beat(before, fleet);
    before.clock.advance(INTERVAL);
  }
  const stored = fleet.map((id) => PersistedAgent.parse(JSON.parse(JSON.stringify(before.registry.persisted(id)))));
  const after = harness({}, { restartGraceMs: 30_000, timeoutFactor: 2, lagThresholdMs: 200, lagGraceMs: 30_000 });
  // 10 s of downtime, and the clock the new run starts from is off by the step.
  after.clock.set(before.clock.now() + 10_000 + stepMs);
  after.guard.noteStart();
  after.registry.restore(stored, stepMs);
  return { before, after, fleet };
}

describe('a lead restarted on a stepped clock', () => {
  it('re-anchors restored last-seen times, back or forward, so none lies in the future or far past', () => {
    for (const stepMs of [-60_000, 60_000]) {
      const { before, after } = restartedAfterStep(stepMs);
      const seen = before.registry.get('pi-00')!.lastHeartbeatAt!;
      expect(after.registry.get('pi-00')!.lastHeartbeatAt, String(stepMs)).toBe(seen + stepMs);
      expect(after.registry.get('pi-00')!.lastHeartbeatAt!).toBeLessThan(after.clock.now());
    }
  });

  it('keeps agents whose heartbeats are refused only for their timestamp from being probed or declared offline', async () => {
    const { after, fleet } = restartedAfterStep(-60_000);
    // Each agent beats every interval, refused (its estimate of mesh time is off by the step)
    // until its fourth exchange re-synchronises it; the lead hears it meanwhile.
    for (let i = 0; i < 10; i++) {
      after.clock.advance(INTERVAL);
      for (const id of fleet) {
        if (i < 4) expect(after.registry.heardDespiteClock(id, after.clock.now(), true)).toBe(true);
        else beat(after, [id]);
      }
      expect(await after.registry.sweep()).toMatchObject({ probesStarted: 0, declaredOffline: 0 });
    }
    for (const id of fleet) expect(after.registry.get(id)?.state).toBe('active');
  });

  it('without proof of freshness counts such heartbeats only during the restart guard', () => {
    const h = harness({}, { restartGraceMs: 10_000, timeoutFactor: 2, lagThresholdMs: 200, lagGraceMs: 30_000 });
    beat(h, ['pi-1']);
    h.guard.noteStart();
    expect(h.registry.heardDespiteClock('pi-1', h.clock.now())).toBe(true);
    h.clock.advance(10_001);
    expect(h.registry.heardDespiteClock('pi-1', h.clock.now())).toBe(false);
    expect(h.registry.heardDespiteClock('pi-1', h.clock.now(), true)).toBe(true);
    expect(h.registry.heardDespiteClock('nobody', h.clock.now(), true)).toBe(false);
  });
});

describe('Registry.intakeOpened', () => {
  it('counts silence from when heartbeats could arrive, not from process start', async () => {
    const h = harness();
    beat(h, ['pi-1']);
    // A slow start: the intake opens long after the last heartbeat was recorded.
    h.clock.advance(10 * INTERVAL);
    h.registry.intakeOpened();
    expect(await h.registry.sweep()).toMatchObject({ probesStarted: 0, declaredOffline: 0 });
    // The same silence without the re-base: probed (and, unanswered, offline).
    const g = harness();
    beat(g, ['pi-1']);
    g.clock.advance(10 * INTERVAL);
    expect(await g.registry.sweep()).toMatchObject({ probesStarted: 1, declaredOffline: 1 });
  });
});
