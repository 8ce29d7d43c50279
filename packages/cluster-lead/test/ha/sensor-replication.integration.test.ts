// Sensor readings on the JetStream store, in one process against a real nats-server, each lead
// on its own real SQLite file: a signed SENSOR_EVENT answered ok by lead A's intake is already
// on the stream and reaches standby B's SensorReadings; a reading whose publish failed is
// refused (the agent keeps it) and published on the agent's next try, though A stored it the
// first time; an entry stamped with a lower lease epoch, or one that does not parse, is skipped.
import { ReplayGuard, encodeMessage } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import type { JetStreamManager, NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/harness/index.js';
import { trustFixture, type SignedAgent, type TrustFixture } from '../../src/ingest/ingest.test-helper.js';
import { OpsMirror, encodeEntry, type OpsFollower, type SensorReadingEntry } from '../../src/replication/operations/index.js';
import { SensorIntake } from '../../src/sensors/index.js';
import type { LeadStore } from '../../src/store/index.js';
import { startOpsRig, type OpsRig } from './support/ops-rig.js';

let rig: OpsRig;
let names: OpsRig['names'];
let nc: NatsConnection;
let jsm: JetStreamManager;
let a: LeadStore;
let b: LeadStore;
let log: OpsRig['log'];
let mirror: OpsMirror;
let follower: OpsFollower;
let fx: TrustFixture;
let agent: SignedAgent;

beforeAll(async () => {
  rig = await startOpsRig('cluster-s', 3, 10);
  ({ names, nc, jsm, a, b, log, mirror, follower } = rig);
  fx = await trustFixture();
  agent = await fx.agent('pi-s1');
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

/** Lead A's intake, answering once `replicator` has the reading on the stream. */
async function intakeOn(replicator: OpsMirror): Promise<SensorIntake> {
  const lead = await nodeEd25519.generateKeyPair();
  return new SensorIntake({
    readings: a.sensors,
    clock: fx.clock,
    ed25519: nodeEd25519,
    resolveKey: fx.resolveKey,
    replay: new ReplayGuard({ clock: fx.clock, ttlMs: 60_000, skewMs: 5_000 }),
    logger: log.logger,
    leadId: 'lead-a',
    replies: { leadId: 'lead-a', signer: nodeEd25519.signerSync(lead.privateKey), clock: fx.clock },
    replicate: (reading) => replicator.sensorReading(reading),
  });
}

/** A SENSOR_EVENT as the agent's outbox sends it: signed afresh on every try. */
function sensorEvent(sensorId: string, seq: number, value: number | boolean) {
  const message = sampleMessage('SENSOR_EVENT', { sender: agent.agentId, at: fx.clock.now(), overrides: { sensor_id: sensorId, seq, value, boot_id: 'boot-1' } });
  return encodeMessage(message, agent.signer, agent.agentId);
}

const onB = (sensorId: string) => b.sensors.latest({ agentId: 'pi-s1', limit: 100 }).find((r) => r.sensorId === sensorId);
const streamMessages = async () => (await jsm.streams.info(names.sensorsStream)).state.messages;

describe('sensor readings mirrored by one lead and followed by another', () => {
  it('answers ok only once the reading is on the stream, and the standby stores it', async () => {
    const intake = await intakeOn(mirror);
    const answer = await intake.handle(await sensorEvent('temp', 1, 21.5));
    expect(answer.ok).toBe(true);
    expect(await streamMessages()).toBe(1);
    const [stored] = a.sensors.latest({ agentId: 'pi-s1', limit: 1 });
    await waitFor('the reading on the standby', 10_000, () => onB('temp'));
    expect(onB('temp')).toMatchObject({ sensorKind: 'gpio.input', value: 21.5, seq: 1, bootId: 'boot-1', receivedAt: stored?.receivedAt });
    expect(b.sensors.history('pi-s1', 'temp', { limit: 10 })).toHaveLength(1);

    // A redelivery is answered ok again; the server drops the copy by its message id.
    expect((await intake.handle(await sensorEvent('temp', 1, 21.5))).ok).toBe(true);
    expect(intake.stats()).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(await streamMessages()).toBe(1);
    expect(follower.rejected).toBe(0);
  });

  it('refuses a reading it stored but could not publish, and publishes it on the next try', async () => {
    const broken = new OpsMirror({ names, logger: log.logger, publishing: () => true, epoch: () => rig.epoch, resumedBy: 'failover' });
    const noStreams = Promise.reject(new Error('streams unavailable'));
    broken.attach(nc, noStreams, 2_000);
    const failing = await intakeOn(broken);
    const refused = await failing.handle(await sensorEvent('door', 4, true));
    expect(refused).toMatchObject({ ok: false, code: 'STORE_FAILED' });
    expect(broken.failures).toBe(1);
    expect(a.sensors.latest({ agentId: 'pi-s1', limit: 100 }).some((r) => r.sensorId === 'door')).toBe(true);

    // The agent kept it in its outbox and sends it again (to this lead, its mirror now working).
    const retry = await (await intakeOn(mirror)).handle(await sensorEvent('door', 4, true));
    expect(retry.ok).toBe(true);
    await waitFor('the retried reading on the standby', 10_000, () => onB('door'));
    expect(onB('door')).toMatchObject({ value: true, seq: 4 });
  });

  it('skips what a fenced lead writes late, and what does not parse', async () => {
    rig.epoch = 5;
    const intake = await intakeOn(mirror);
    expect((await intake.handle(await sensorEvent('hum', 2, 40))).ok).toBe(true);
    await waitFor('the holder\'s reading', 10_000, () => onB('hum'));
    const rejected = follower.rejected;
    const stale: SensorReadingEntry = { type: 'sensor_reading', epoch: 4, agentId: 'pi-s1', sensorId: 'hum', sensorKind: 'gpio.input', value: 99, unit: null, error: null, sampledAt: fx.clock.now() + 1, seq: 3, bootId: 'boot-1', receivedAt: fx.clock.now() };
    const js = nc.jetstream();
    await js.publish(names.sensorReading('pi-s1', 'hum'), encodeEntry(stale));
    await js.publish(names.sensorReading('pi-s1', 'junk'), encodeEntry({ ...stale, epoch: 5, sensorId: 'junk', seq: -1 }));
    await js.publish(names.sensorReading('pi-s1', 'junk'), new TextEncoder().encode('{"type":"sensor_reading"'));
    await waitFor('all three to be skipped', 10_000, () => (follower.rejected === rejected + 3 ? true : undefined));
    expect(onB('hum')).toMatchObject({ value: 40, seq: 2 });
    expect(b.sensors.history('pi-s1', 'hum', { limit: 10 })).toHaveLength(1);
    expect(onB('junk')).toBeUndefined();
  });
});
