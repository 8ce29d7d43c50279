import { PROTOCOL_VERSION, type MeshMode, type Summary } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { meshStatusBox, type MeshBoxSources } from './lead-status.js';
import { T0, enrollment, harness, heartbeat } from './registry/registry.test-helper.js';

function summary(leadId: string, counts: { active: number; degraded?: number; offline?: number; mean: number; mode?: MeshMode }): Summary {
  const byState = { active: counts.active, degraded: counts.degraded ?? 0, offline: counts.offline ?? 0, quarantined: 0 };
  return {
    v: PROTOCOL_VERSION,
    message_id: `${leadId}-m`,
    sender_id: leadId,
    created_at: T0,
    ttl_ms: 5_000,
    kind: 'SUMMARY',
    lead_id: leadId,
    cluster_id: `${leadId}-cluster`,
    agent_count: byState.active + byState.degraded + byState.offline,
    by_state: byState,
    impedance: { mean: counts.mean, p50: counts.mean, p95: counts.mean, max: counts.mean },
    max_lead_time_ms: 10,
    mode: counts.mode ?? 'FULL',
    frozen: false,
    capabilities: [],
  };
}

function box(registry: MeshBoxSources['registry'], children: { summary: Summary; live: boolean }[]) {
  return meshStatusBox({ registry, now: () => T0, frozen: () => false, breakers: () => [], conflictsSince: () => 0, operations: () => ({ inFlight: 0, queued: 0 }), lastCascade: () => null, children: () => children });
}

describe('meshStatusBox of a lead with child leads', () => {
  it('the root of a tree, with no agents of its own, reports its subtree and not 0/0 EMERGENCY', () => {
    const { registry } = harness();
    expect(box(registry, []).mode).toBe('EMERGENCY');
    const view = box(registry, [
      { summary: summary('child-a', { active: 10, mean: 100 }), live: true },
      { summary: summary('child-b', { active: 5, degraded: 5, mean: 200, mode: 'DEGRADED_LIGHT' }), live: true },
    ]);
    expect(view).toMatchObject({ agents_active: 15, agents_total: 20, sectors_healthy: 2, sectors_total: 2, mode: 'DEGRADED_LIGHT' });
    // Weighted by routable agents: (10 x 100 + 10 x 200) / 20.
    expect(view.mean_impedance).toBe(150);
  });

  it('a silent child counts its agents as not active, and makes the box EMERGENCY-worthy', () => {
    const { registry } = harness();
    const view = box(registry, [
      { summary: summary('child-a', { active: 10, mean: 100 }), live: true },
      { summary: summary('child-b', { active: 8, mean: 100 }), live: false },
    ]);
    expect(view).toMatchObject({ agents_active: 10, agents_total: 18, sectors_healthy: 1, sectors_total: 2, mode: 'EMERGENCY' });
  });

  it('a lead with agents of its own adds its children to them', () => {
    const { registry } = harness();
    registry.recordHeartbeat(heartbeat('pi-1', T0), { receivedAt: T0, enrollment: enrollment('pi-1') });
    const own = box(registry, []);
    const view = box(registry, [{ summary: summary('child-a', { active: 4, mean: 50 }), live: true }]);
    expect(view.agents_total).toBe(own.agents_total + 4);
    expect(view.agents_active).toBe(own.agents_active + 4);
    expect(view.sectors_total).toBe(own.sectors_total + 1);
  });
});
