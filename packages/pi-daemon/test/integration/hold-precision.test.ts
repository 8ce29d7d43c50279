import { READY } from '@mesh30k/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLink, startNats, summarize, type Link, type NatsServer } from '../../../../test/harness/index.js';
import { NatsSupervisor } from '../../src/nats/supervisor.js';
import { SimFleet } from '../../src/sim/fleet.js';
import { waitFor } from '../support/deadline.js';
import { createTestMesh, type TestMesh } from '../support/fixtures.js';
import { captureLogger } from '../support/log-capture.js';
import { MinimalLead } from '../support/minimal-lead.js';

/** Generous on purpose: the tight figure is the benchmark's job (DESIGN.md). */
const BOUND_MS = 15;
const ONE_WAY_MS = 50;
const AGENTS = 8;
const OPERATIONS = 3;

let nats: NatsServer;
let link: Link;
let mesh: TestMesh;
let lead: MinimalLead;
let supervisor: NatsSupervisor;
let fleet: SimFleet;

beforeAll(async () => {
  nats = await startNats();
  link = await startLink({ target: { host: nats.host, port: nats.port }, up: { baseMs: ONE_WAY_MS }, down: { baseMs: ONE_WAY_MS } });
  mesh = await createTestMesh();
  lead = await MinimalLead.start({ natsUrl: nats.url, leadId: mesh.leadId, keyPair: mesh.lead, trust: mesh.trust });
  const { logger } = captureLogger('warn');
  // The agents sit behind the emulated link; the lead talks to NATS directly.
  supervisor = new NatsSupervisor({ servers: [link.url('nats')], name: 'sim-hold' }, { logger });
  fleet = await SimFleet.create(
    {
      lead_id: mesh.leadId,
      count: AGENTS,
      seed: 7,
      heartbeat_interval_ms: 200,
      processing: { median_ms: 20, spread: 0.3 },
      // Clocks wrong by seconds, and drifting.
      clock: { offset_ms: { min: -8_000, max: 8_000 }, drift_ppm: { min: -80, max: 80 } },
    },
    { bus: supervisor, leadKeys: mesh.leadKeys, logger },
  );
  await mesh.enroll(fleet.enrollmentSubjects());
  supervisor.start();
  await supervisor.whenConnected();
  fleet.start();
  await waitFor(() => fleet.agents.every((v) => v.agent.clock.samples() >= 6), 'clock samples on every agent', 20_000);
});

afterAll(async () => {
  await fleet.stop();
  await supervisor.stop();
  await lead.close();
  await link.close();
  await nats.dispose();
});

describe('hold mode over a 50 ms link with clocks skewed by seconds', () => {
  it('makes every agent READY within a few ms of T in true time', async () => {
    expect(Math.min(...fleet.agents.map((v) => Math.abs(v.clock.offsetMs)))).toBeGreaterThan(0);
    const errors: number[] = [];
    for (let n = 0; n < OPERATIONS; n++) {
      const target = lead.now() + 600;
      const op = `op-hold-${n}`;
      await lead.coordinate({ operation_id: op, release_mode: 'hold', target_time: target });
      await lead.waitUntil(() => fleet.agents.every((v) => lead.ackFor(op, v.profile.agentId) !== undefined), 5_000, `ACKs of ${op}`);
      for (const virtual of fleet.agents) {
        const ack = lead.ackFor(op, virtual.profile.agentId)!;
        expect(ack.trinary_state).toBe(READY);
        // The agent stamped ready on its skewed clock; the test knows that clock's mapping.
        errors.push(virtual.clock.toBase(ack.ready_at_local) - target);
      }
    }
    const summary = summarize(errors.map(Math.abs));
    process.stdout.write(`hold-mode |error| over ${errors.length} releases: p50 ${summary.p50.toFixed(3)} ms, max ${summary.max.toFixed(3)} ms\n`);
    for (const error of errors) expect(Math.abs(error)).toBeLessThan(BOUND_MS);
  });
});
