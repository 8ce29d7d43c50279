import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { PREBUILT_LATE_LIMIT_MS } from '../../src/coordination/release-path.js';
import { NatsSupervisor } from '../../src/nats/supervisor.js';
import { ArrivalLog, type ArrivalRecord } from '../../src/sim/arrival-tap.js';
import { SimFleet } from '../../src/sim/fleet.js';
import { waitFor } from '../support/deadline.js';
import { createTestMesh, type TestMesh } from '../support/fixtures.js';
import { captureLogger } from '../support/log-capture.js';
import { MinimalLead } from '../support/minimal-lead.js';

const AGENTS = 4;

let nats: NatsServer;
let mesh: TestMesh;
let lead: MinimalLead;
let supervisor: NatsSupervisor;
let fleet: SimFleet;
const records: ArrivalRecord[] = [];

beforeAll(async () => {
  nats = await startNats();
  mesh = await createTestMesh();
  lead = await MinimalLead.start({ natsUrl: nats.url, leadId: mesh.leadId, keyPair: mesh.lead, trust: mesh.trust });
  const { logger } = captureLogger('warn');
  supervisor = new NatsSupervisor({ servers: [nats.url], name: 'sim-tap' }, { logger });
  fleet = await SimFleet.create(
    { lead_id: mesh.leadId, count: AGENTS, seed: 11, heartbeat_interval_ms: 200, processing: { median_ms: 5, spread: 0.2 }, clock: { offset_ms: { min: -3_000, max: 3_000 }, drift_ppm: { min: -50, max: 50 } } },
    { bus: supervisor, leadKeys: mesh.leadKeys, logger, onArrival: (record) => records.push(record) },
  );
  await mesh.enroll(fleet.enrollmentSubjects());
  supervisor.start();
  await supervisor.whenConnected();
  fleet.start();
  await waitFor(() => fleet.agents.every((v) => v.agent.clock.samples() >= 3), 'clock samples on every agent', 20_000);
});

afterAll(async () => {
  await fleet.stop();
  await supervisor.stop();
  await lead.close();
  await nats.dispose();
});

describe('the sim arrival tap', () => {
  it('records each READY release once, on the machine clock, whatever the release mode', async () => {
    for (const mode of ['hold', 'none'] as const) {
      const op = `op-tap-${mode}`;
      const target = lead.now() + 400;
      await lead.coordinate({ operation_id: op, release_mode: mode, target_time: target });
      await lead.waitUntil(() => fleet.agents.every((v) => lead.ackFor(op, v.profile.agentId) !== undefined), 5_000, `ACKs of ${op}`);
      // Records are written a turn after their ACK left (off the release path).
      await waitFor(() => records.filter((r) => r.operation_id === op).length >= AGENTS, `records of ${op}`, 5_000);
      const mine = records.filter((r) => r.operation_id === op);
      expect(mine.map((r) => r.agent_id).sort()).toEqual(fleet.agents.map((v) => v.profile.agentId).sort());
      for (const virtual of fleet.agents) {
        const record = mine.find((r) => r.agent_id === virtual.profile.agentId)!;
        const ack = lead.ackFor(op, virtual.profile.agentId)!;
        // The record is the release's own stamp turned into true time through the simulated skew.
        // A READY signed before T carries T as its instant and is sent only if the release was at
        // most PREBUILT_LATE_LIMIT_MS late; any other ACK carries the stamp itself.
        if (record.hold?.prebuilt === true) {
          expect(ack.ready_at_local).toBe(record.hold.deadline_local_ms);
          expect(record.ready_local_ms - ack.ready_at_local).toBeGreaterThanOrEqual(0);
          expect(record.ready_local_ms - ack.ready_at_local).toBeLessThanOrEqual(PREBUILT_LATE_LIMIT_MS);
        } else {
          expect(record.ready_local_ms).toBe(ack.ready_at_local);
        }
        expect(record.ready_true_ms).toBeCloseTo(virtual.clock.toBase(record.ready_local_ms), 6);
        expect(record.true_offset_ms).toBeCloseTo(record.ready_local_ms - virtual.clock.toBase(record.ready_local_ms), 6);
        expect(record).toMatchObject({ mode, target_time: target });
      }
    }
  });
});

describe('the arrival log', () => {
  it('appends one JSON line per release', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arrival-log-'));
    try {
      const path = join(dir, 'arrivals.jsonl');
      const log = new ArrivalLog(path);
      const record: ArrivalRecord = { agent_id: 'sim-2', operation_id: 'op', mode: 'hold', target_time: 1, ready_true_ms: 1, ready_local_ms: 2, true_offset_ms: 1, offset_error_ms: 0, finished_mesh_ms: 0.5 };
      log.write(record);
      log.write({ ...record, agent_id: 'sim-3' });
      await log.close();
      const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ArrivalRecord);
      expect(lines.map((l) => l.agent_id)).toEqual(['sim-2', 'sim-3']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
