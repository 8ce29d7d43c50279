import { describe, expect, it } from 'vitest';
import { fleetBack, gaugeValue, secondsUntil } from './restart.js';

describe('restart measurement helpers', () => {
  it('reads an unlabelled gauge from Prometheus text, and not a longer name that starts with it', () => {
    const text = ['# HELP mesh_lead_agents_in_session x', 'mesh_lead_agents_in_session_total 9', 'mesh_lead_agents_in_session 29970', ''].join('\n');
    expect(gaugeValue(text, 'mesh_lead_agents_in_session')).toBe(29_970);
    expect(gaugeValue(text, 'mesh_lead_absent')).toBeUndefined();
  });

  it('counts a check that throws as not yet, and reports when it first holds', async () => {
    let calls = 0;
    const from = performance.now();
    const s = await secondsUntil(() => {
      calls++;
      return calls === 1 ? Promise.reject(new Error('lead not up')) : Promise.resolve(calls >= 3);
    }, from, from + 10_000);
    expect(calls).toBe(3);
    expect(s).toBeGreaterThan(0);
  });

  it('gives NaN when the check never holds before the deadline', async () => {
    const from = performance.now();
    expect(await secondsUntil(() => Promise.resolve(false), from, from + 120)).toBeNaN();
  });

  it('reads the in-session count in the same polls as the active count, even when the active share never comes', async () => {
    const reads = [
      { active: 10, inSession: 0 },
      { active: undefined, inSession: 95 },
      { active: 40, inSession: 100 },
    ];
    let i = 0;
    const from = performance.now();
    const back = await fleetBack(() => Promise.resolve(reads[Math.min(i++, reads.length - 1)]!), { agents: 100, backShare: 0.99, from, deadline: from + 200, pollMs: 5 });
    expect(back.agentsBackS).toBeNaN();
    expect(back.activeAtEnd).toBe(40);
    expect(back.inSessionAtEnd).toBe(100);
    expect(back.inSessionAllS).toBeGreaterThan(0);
    expect(back.inSessionShareS).toBeLessThanOrEqual(back.inSessionAllS);
  });

  it('stops polling once the fleet is active and wholly in session', async () => {
    let calls = 0;
    const from = performance.now();
    const back = await fleetBack(() => Promise.resolve({ active: ++calls >= 2 ? 100 : 0, inSession: calls >= 3 ? 100 : 50 }), { agents: 100, backShare: 0.99, from, deadline: from + 10_000, pollMs: 1 });
    expect(calls).toBe(3);
    expect(back.agentsBackS).toBeLessThanOrEqual(back.inSessionAllS);
  });
});
