import { describe, expect, it } from 'vitest';
import { gaugeValue, secondsUntil } from './restart.js';

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
});
