import { subjects } from '@mesh30k/shared';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsServer, TempDir } from '../../../../test/harness/index.js';
import { NatsSupervisor } from '../../src/nats/supervisor.js';
import { SimFleet } from '../../src/sim/fleet.js';
import { waitFor } from '../support/deadline.js';
import { createTestMesh, type TestMesh } from '../support/fixtures.js';
import { captureLogger } from '../support/log-capture.js';
import { MinimalLead } from '../support/minimal-lead.js';
import { startLeadRig, type LeadRig } from '../support/lead-rig.js';
import { startRealAgent } from '../support/real-agent.js';

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

describe('heartbeats', () => {
  it('reach the lead from a real agent with valid signatures, and the reply syncs its clock', async () => {
    const real = await startRealAgent({ mesh, natsUrl: nats.url, agentId: 'pi-1', dataDir: `${dir.path}/pi-1` });
    try {
      await lead.waitUntil(() => lead.heartbeats.filter((h) => h.heartbeat.agent_id === 'pi-1').length >= 3, 10_000, 'three heartbeats');
      const beats = lead.heartbeats.filter((h) => h.heartbeat.agent_id === 'pi-1').map((h) => h.heartbeat);
      // The lead verified each against the enrolled key; nothing was refused.
      expect(lead.refusals).toEqual([]);
      expect(beats.map((b) => b.seq)).toEqual([...beats.map((b) => b.seq)].sort((a, b) => a - b));
      expect(beats[0]!.clock.samples).toBe(0);
      await waitFor(() => real.agent.clock.synced, 'clock sync');
      await lead.waitUntil(() => lead.heartbeats.some((h) => h.heartbeat.agent_id === 'pi-1' && h.heartbeat.clock.samples > 0), 10_000, 'a synced beat');
      const synced = lead.heartbeats.find((h) => h.heartbeat.agent_id === 'pi-1' && h.heartbeat.clock.samples > 0)!.heartbeat;
      // Same machine, same clock: the offset is tiny and the jitter is reported.
      expect(Math.abs(synced.clock.offset_ms)).toBeLessThan(20);
      expect(synced.clock.jitter_ms).toBeGreaterThanOrEqual(0);
      expect(synced.impedance.agent_id).toBe('pi-1');
      expect(synced.outbox_depth).toBe(0);
      await waitFor(() => real.agent.stats().heartbeatsSent >= 3, 'three answered beats');
      expect(real.agent.stats().heartbeatsMissed).toBe(0);
    } finally {
      await real.close();
    }
  });

  it('a missed beat is counted and logged once, never fatal; beats resume when a lead answers', async () => {
    const other = await createTestMesh('lead-late');
    const real = await startRealAgent({ mesh: other, natsUrl: nats.url, agentId: 'pi-2', dataDir: `${dir.path}/pi-2` });
    let late: MinimalLead | undefined;
    try {
      // Nobody serves lead-late yet: every beat fails with NO_RESPONDERS.
      await waitFor(() => real.agent.stats().heartbeatsMissed >= 3, 'three missed beats');
      expect(real.agent.running).toBe(true);
      const misses = real.events('heartbeat.missed');
      expect(misses.filter((l) => l.level === 40)).toHaveLength(1);
      expect(misses[0]).toMatchObject({ reason: 'NO_RESPONDERS', agent_id: 'pi-2' });
      late = await MinimalLead.start({ natsUrl: nats.url, leadId: 'lead-late', keyPair: other.lead, trust: other.trust });
      await waitFor(() => real.agent.stats().heartbeatsSent >= 1, 'an answered beat');
      expect(real.events('heartbeat.recovered')).toHaveLength(1);
    } finally {
      await real.close();
      await late?.close();
    }
  });

  it('a reply stamped with an older lease epoch than one already answered is refused as a fenced lead\'s; a newer epoch is followed', async () => {
    const other = await createTestMesh('lead-fenced');
    const fencing = await MinimalLead.start({ natsUrl: nats.url, leadId: 'lead-fenced', keyPair: other.lead, trust: other.trust });
    const real = await startRealAgent({ mesh: other, natsUrl: nats.url, agentId: 'pi-fence', dataDir: `${dir.path}/pi-fence` });
    try {
      fencing.hints.lease_epoch = 7;
      await waitFor(() => real.agent.stats().heartbeatsSent >= 2, 'beats answered at epoch 7');
      expect(real.agent.stats().heartbeatsMissed).toBe(0);
      // The same lead id answering from an older lease: what a paused, replaced lead would say.
      fencing.hints.lease_epoch = 3;
      await waitFor(() => real.agent.stats().heartbeatsMissed >= 2, 'replies of epoch 3 refused');
      expect(real.events('heartbeat.missed')[0]).toMatchObject({ reason: 'BAD_REPLY' });
      expect(String(real.events('heartbeat.missed')[0]!.msg)).toContain('lease epoch 3 is older than 7');
      // A successor's newer epoch is taken at once.
      fencing.hints.lease_epoch = 9;
      const sent = real.agent.stats().heartbeatsSent;
      await waitFor(() => real.agent.stats().heartbeatsSent >= sent + 2, 'beats answered at epoch 9');
    } finally {
      await real.close();
      await fencing.close();
    }
  });

  it('an unsigned refusal is counted and logged with its code, and changes no state (no clock sample, no hints)', async () => {
    const other = await createTestMesh('lead-terse');
    const raw = await connect({ servers: nats.url });
    // Stands where a lead is and answers every beat as a lead does a frame it could not attribute.
    const sub = raw.subscribe(subjects.heartbeat('lead-terse'), {
      callback: (_error, msg) => msg.respond(new TextEncoder().encode(JSON.stringify({ ok: false, code: 'BAD_SIGNATURE', message: 'signature does not match' }))),
    });
    const real = await startRealAgent({ mesh: other, natsUrl: nats.url, agentId: 'pi-3', dataDir: `${dir.path}/pi-3` });
    let terse: MinimalLead | undefined;
    try {
      await waitFor(() => real.agent.stats().heartbeatsRejected >= 3, 'three refused beats');
      expect(real.agent.running).toBe(true);
      expect(real.agent.clock.synced).toBe(false);
      expect(real.agent.stats().heartbeatsSent).toBe(0);
      const misses = real.events('heartbeat.missed');
      expect(misses[0]).toMatchObject({ reason: 'REFUSED_UNSIGNED', agent_id: 'pi-3' });
      expect(String(misses[0]!.msg)).toContain('BAD_SIGNATURE: signature does not match');
      // A real lead takes over: the agent syncs as if nothing had happened.
      sub.unsubscribe();
      terse = await MinimalLead.start({ natsUrl: nats.url, leadId: 'lead-terse', keyPair: other.lead, trust: other.trust });
      await waitFor(() => real.agent.clock.synced, 'clock sync');
    } finally {
      await real.close();
      await terse?.close();
      await raw.close();
    }
  });

  it('reach the lead from virtual agents sharing one connection, each with its own key and skewed clock', async () => {
    const { logger } = captureLogger('warn');
    const supervisor = new NatsSupervisor({ servers: [nats.url], name: 'sim-hb' }, { logger });
    const fleet = await SimFleet.create(
      { lead_id: mesh.leadId, count: 20, heartbeat_interval_ms: 200, clock: { offset_ms: { min: -5_000, max: 5_000 }, drift_ppm: { min: -50, max: 50 } } },
      { bus: supervisor, leadKeys: mesh.leadKeys, logger },
    );
    await mesh.enroll(fleet.enrollmentSubjects());
    supervisor.start();
    await supervisor.whenConnected();
    fleet.start();
    try {
      const ids = fleet.agents.map((v) => v.profile.agentId);
      await lead.waitUntil(() => ids.every((id) => lead.heartbeats.some((h) => h.heartbeat.agent_id === id && h.heartbeat.clock.samples >= 2)), 15_000, 'synced beats from all 20');
      expect(lead.refusals).toEqual([]);
      for (const virtual of fleet.agents) {
        // The estimated offset cancels the skew: lead clock = true clock here.
        const report = virtual.agent.clock.report();
        const trueOffset = -(virtual.clock.now() - virtual.clock.toBase(virtual.clock.now()));
        expect(Math.abs(report.offset_ms - trueOffset)).toBeLessThan(20);
      }
      expect(fleet.totals().synced).toBe(20);
    } finally {
      await fleet.stop();
      await supervisor.stop();
    }
  });
});
