import { describe, expect, it } from 'vitest';
import { cachedDeepProbe, type DeepProbeResult } from './deep-health.js';

describe('cachedDeepProbe', () => {
  it('shares one probe among concurrent requests and reuses its result for the ttl', async () => {
    let now = 0;
    let probes = 0;
    let release: (r: DeepProbeResult) => void = () => undefined;
    const probe = () => {
      probes++;
      return new Promise<DeepProbeResult>((resolve) => (release = resolve));
    };
    const deep = cachedDeepProbe(probe, () => now, 5_000);
    const answers = Array.from({ length: 100 }, () => deep());
    release({ ok: true, agentId: 'pi-1', rttMs: 3 });
    expect(await Promise.all(answers)).toHaveLength(100);
    expect(probes).toBe(1);
    now = 4_999;
    expect(await deep()).toMatchObject({ ok: true, agentId: 'pi-1', ageMs: 4_999 });
    expect(probes).toBe(1);
    now = 5_000;
    const next = deep();
    release({ ok: false, detail: 'no agent' });
    expect(await next).toMatchObject({ ok: false, ageMs: 0 });
    expect(probes).toBe(2);
  });
});
