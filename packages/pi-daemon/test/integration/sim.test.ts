import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFLICT, READY, TRANSIT, publicKeyText } from '@mesh30k/shared';
import { saveKeyPair } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsServer, TempDir } from '../../../../test/harness/index.js';
import { NatsSupervisor } from '../../src/nats/supervisor.js';
import { EnrollmentFile } from '../../src/sim/enrollment.js';
import { SimFleet } from '../../src/sim/fleet.js';
import type { SimSpecInput } from '../../src/sim/spec.js';
import { waitFor } from '../support/deadline.js';
import { spawnCli } from '../support/daemon-process.js';
import type { TestMesh } from '../support/fixtures.js';
import { captureLogger } from '../support/log-capture.js';
import type { MinimalLead } from '../support/minimal-lead.js';
import { startLeadRig, type LeadRig } from '../support/lead-rig.js';

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

describe('simulation mode', () => {
  it('injects crash, stall, slow and conflict faults through the same agent code', async () => {
    const { logger } = captureLogger('error');
    const supervisor = new NatsSupervisor({ servers: [nats.url], name: 'sim-faults' }, { logger });
    const base: Partial<SimSpecInput> = { lead_id: mesh.leadId, count: 2, heartbeat_interval_ms: 150, processing: { median_ms: 20, spread: 0 } };
    const make = (prefix: string, faults: SimSpecInput['faults']) =>
      SimFleet.create({ ...base, lead_id: mesh.leadId, count: 2, id_prefix: prefix, faults }, { bus: supervisor, leadKeys: mesh.leadKeys, logger, tuning: { shutdownGraceMs: 200 } });
    const fleets = {
      fine: await make('fine', {}),
      crash: await make('crash', { crash: 1, crash_after_ms: { min: 2_500, max: 2_500 } }),
      stall: await make('stall', { stall: 1 }),
      slow: await make('slow', { slow: 1, slow_factor: 10 }),
      conflict: await make('conflict', { conflict_rate: 1 }),
    };
    for (const fleet of Object.values(fleets)) await mesh.enroll(fleet.enrollmentSubjects());
    supervisor.start();
    await supervisor.whenConnected();
    for (const fleet of Object.values(fleets)) fleet.start();
    const all = Object.values(fleets).flatMap((f) => f.agents);
    try {
      await waitFor(() => all.every((v) => v.agent.clock.samples() >= 2), 'every virtual agent synced');
      await lead.coordinate({ operation_id: 'op-faults', release_mode: 'lead', target_time: lead.now() + 1_000 });
      const ack = (id: string) => lead.ackFor('op-faults', id);
      await lead.waitUntil(() => ['fine', 'slow', 'conflict'].every((p) => ack(`${p}-1`) && ack(`${p}-2`)), 5_000, 'ACKs of the answering agents');
      expect(ack('fine-1')?.trinary_state).toBe(READY);
      expect(ack('conflict-1')).toMatchObject({ trinary_state: CONFLICT, conflict: { type: 'DATA_CONTRADICTION' } });
      // Ten times the processing median, and ten times what a healthy agent took.
      expect(ack('slow-1')!.processing_ms).toBeGreaterThanOrEqual(200);
      expect(ack('fine-1')!.processing_ms).toBeLessThan(100);
      // The crash fleet answered before crashing; a stalled agent never answers.
      expect(ack('crash-1')?.trinary_state).toBe(READY);
      expect(ack('stall-1')).toBeUndefined();

      await waitFor(() => fleets.crash.agents.every((v) => !v.agent.running), 'the crash');
      const beatsOf = (id: string): number => lead.heartbeats.filter((h) => h.heartbeat.agent_id === id).length;
      const crashed = fleets.crash.agents.find((v) => v.agent.id === 'crash-1')!.agent;
      const requestedAtCrash = crashed.stats().heartbeatsRequested;
      const fineBeats = beatsOf('fine-1');
      await lead.waitUntil(() => beatsOf('fine-1') >= fineBeats + 4, 5_000, 'four more beats from a healthy agent');
      // Nothing is sent after the crash. The lead may still record a beat that was on the wire when
      // the crash came, so it has heard at most what was sent before it.
      expect(crashed.stats().heartbeatsRequested).toBe(requestedAtCrash);
      expect(beatsOf('crash-1')).toBeGreaterThan(0);
      expect(beatsOf('crash-1')).toBeLessThanOrEqual(requestedAtCrash);
      // A stalled agent still heartbeats, and shows the stuck work in its queue depth.
      const stalledBeat = lead.heartbeats.filter((h) => h.heartbeat.agent_id === 'stall-1').at(-1)!.heartbeat;
      expect(stalledBeat.impedance.current_queue_depth).toBe(1);
    } finally {
      for (const fleet of Object.values(fleets)) await fleet.stop();
      await supervisor.stop();
    }
    // Stopping gave the stalled work back instead of dropping it.
    await lead.waitUntil(() => lead.ackFor('op-faults', 'stall-1') !== undefined, 5_000, 'the stalled work handed back');
    expect(lead.ackFor('op-faults', 'stall-1')).toMatchObject({ trinary_state: TRANSIT, refusal: { code: 'SHUTTING_DOWN' } });
  });

  it('mesh-agent sim writes signed enrollments a lead can load, then its agents heartbeat to it', async () => {
    const rootPath = join(dir.path, 'root.key');
    await saveKeyPair(rootPath, mesh.root);
    const enrollPath = join(dir.path, 'enrollments.json');
    const sim = spawnCli([
      'sim', '--nats', nats.url, '--lead-key', publicKeyText(mesh.lead.publicKey), '--lead-id', mesh.leadId,
      '--count', '25', '--seed', '11', '--heartbeat-ms', '300', '--root-key', rootPath, '--enrollments-out', enrollPath, '--report', '1',
    ]);
    try {
      await sim.waitForLine((l) => typeof l.sim === 'object', 'a totals line');
      const file = EnrollmentFile.parse(JSON.parse(await readFile(enrollPath, 'utf8')));
      expect(file.enrollments).toHaveLength(25);
      expect(file.root_public_key).toBe(publicKeyText(mesh.root.publicKey));
      // Load them as a lead would: verified against the root key.
      const { verifyEnrollment } = await import('@mesh30k/shared');
      const { nodeEd25519 } = await import('@mesh30k/shared/node');
      for (const entry of file.enrollments) {
        const verified = await verifyEnrollment(nodeEd25519, [mesh.root.publicKey], entry.enrollment, { now: () => Date.now() });
        expect(verified.ok).toBe(true);
        if (verified.ok) mesh.trust.add(verified.value);
      }
      const ids = file.enrollments.map((e) => e.agent_id);
      await lead.waitUntil(() => ids.every((id) => lead.heartbeats.some((h) => h.heartbeat.agent_id === id)), 10_000, 'heartbeats from all 25');
      sim.kill('SIGTERM');
      expect((await sim.exited).code).toBe(0);
      const last = sim.lines.filter((l) => typeof l.sim === 'object').at(-1) as unknown as { sim: { agents: number; running: number }; nats: Record<string, unknown> };
      expect(last.sim.agents).toBe(25);
      // One server that stayed up: the shared connection never dropped.
      expect(last.nats).toEqual({ disconnects: 0, reconnects: 0, last_disconnected_from: null, last_reconnected_to: null });
    } finally {
      sim.kill('SIGKILL');
    }
  });
});
