import { READY, TRANSIT } from '@mesh30k/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsServer, TempDir } from '../../../../test/harness/index.js';
import { waitFor } from '../support/deadline.js';
import type { TestMesh } from '../support/fixtures.js';
import type { MinimalLead } from '../support/minimal-lead.js';
import { startLeadRig, type LeadRig } from '../support/lead-rig.js';
import { startRealAgent, type RealAgent } from '../support/real-agent.js';

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

const lastBeat = (agentId: string) => lead.heartbeats.filter((h) => h.heartbeat.agent_id === agentId).at(-1)?.heartbeat;
const beatsSince = (agentId: string, index: number) => lead.heartbeats.slice(index).filter((h) => h.heartbeat.agent_id === agentId);

describe('freeze and thaw', () => {
  it('FREEZE stops new work and is acknowledged by heartbeat; it survives a restart; THAW resumes', async () => {
    const dataDir = `${dir.path}/pi-f`;
    let pi: RealAgent = await startRealAgent({ mesh, natsUrl: nats.url, agentId: 'pi-f', dataDir });
    try {
      await waitFor(() => pi.agent.clock.samples() >= 1, 'clock sync');
      await lead.freeze();
      await waitFor(() => pi.agent.frozen, 'frozen');
      const mark = lead.heartbeats.length;
      await lead.waitUntil(() => beatsSince('pi-f', mark).some((h) => h.heartbeat.frozen), 5_000, 'a heartbeat saying frozen');

      await lead.coordinate({ operation_id: 'op-frozen', release_mode: 'lead', target_time: lead.now() + 200 });
      await lead.waitUntil(() => lead.ackFor('op-frozen', 'pi-f') !== undefined, 5_000, 'the refusal');
      expect(lead.ackFor('op-frozen', 'pi-f')).toMatchObject({ trinary_state: TRANSIT, refusal: { code: 'FROZEN' } });

      // Restart on the same data directory while the lead no longer says so in its replies.
      lead.hints.frozen = false;
      await pi.close();
      pi = await startRealAgent({ mesh, natsUrl: nats.url, agentId: 'pi-f', dataDir });
      expect(pi.agent.frozen).toBe(true);
      expect(pi.events('agent.frozen').some((l) => l.source === 'restart')).toBe(true);
      await waitFor(() => pi.agent.clock.samples() >= 1, 'clock sync after restart');
      expect(pi.agent.frozen).toBe(true);

      await lead.thaw();
      await waitFor(() => !pi.agent.frozen, 'thawed');
      const afterThaw = lead.heartbeats.length;
      await lead.waitUntil(() => beatsSince('pi-f', afterThaw).some((h) => !h.heartbeat.frozen), 5_000, 'a heartbeat saying thawed');
      await lead.coordinate({ operation_id: 'op-thawed', release_mode: 'lead', target_time: lead.now() + 200 });
      await lead.waitUntil(() => lead.ackFor('op-thawed', 'pi-f') !== undefined, 5_000, 'the ACK');
      expect(lead.ackFor('op-thawed', 'pi-f')?.trinary_state).toBe(READY);
      expect(lastBeat('pi-f')?.frozen).toBe(false);
    } finally {
      await pi.close();
    }
  });

  it('a FREEZE asking to preserve state to a path freezes, refuses the path and says so', async () => {
    const pi = await startRealAgent({ mesh, natsUrl: nats.url, agentId: 'pi-p', dataDir: `${dir.path}/pi-p` });
    try {
      await waitFor(() => pi.agent.clock.samples() >= 1, 'clock sync');
      await lead.freeze('global', undefined, { preserve_state_to: '/mesh/frozen/2024-11-30' });
      await waitFor(() => pi.agent.frozen, 'frozen');
      expect(pi.events('freeze.preserve_state_to_refused')).toHaveLength(1);
      expect(pi.agent.stats().refusedByCode).toMatchObject({ PRESERVE_STATE_TO_UNSUPPORTED: 1 });
      await lead.thaw();
      await waitFor(() => !pi.agent.frozen, 'thawed');
    } finally {
      await pi.close();
    }
  });

  it('the frozen flag in a heartbeat reply freezes but never thaws; a FREEZE for another cluster does nothing', async () => {
    const pi = await startRealAgent({ mesh, natsUrl: nats.url, agentId: 'pi-g', dataDir: `${dir.path}/pi-g` });
    try {
      await waitFor(() => pi.agent.clock.samples() >= 1, 'clock sync');
      await lead.freeze('cluster', 'cluster-other');
      lead.hints.frozen = false;
      const mark = lead.heartbeats.length;
      await lead.waitUntil(() => beatsSince('pi-g', mark).length >= 2, 5_000, 'two more beats');
      expect(pi.agent.frozen).toBe(false);
      lead.hints.frozen = true;
      await waitFor(() => pi.agent.frozen, 'frozen by the reply');
      lead.hints.frozen = false;
      const mark2 = lead.heartbeats.length;
      await lead.waitUntil(() => beatsSince('pi-g', mark2).length >= 2, 5_000, 'two beats answered not-frozen');
      expect(pi.agent.frozen).toBe(true);
      await lead.thaw('cluster', 'cluster-1');
      await waitFor(() => !pi.agent.frozen, 'thawed by THAW');
    } finally {
      await pi.close();
    }
  });
});
