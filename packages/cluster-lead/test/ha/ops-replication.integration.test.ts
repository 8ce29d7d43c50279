// The operations mirror and follower in one process against a real nats-server with JetStream,
// each on its own real SQLite file: what lead A writes (its run journal, history, conflicts,
// dead letters, idempotency answers) appears in standby B's file with the same ids; an entry
// stamped with an epoch below one already applied (a fenced lead's late write) and one that
// does not parse are skipped and counted. A CONFLICT report is answered ok only once its
// conflict is on the stream; while the stream takes no publishes it is refused STORE_FAILED (a
// temporary refusal: the agent keeps it in its outbox), and the agent's later try lands it on B.
// Jobs of A's board (operations, heal, delegations, cascades) are on B's board; taking over, B
// follows a scatter job's operation to its end and ends the others FAILED_OVER.
import { ReplayGuard, encodeMessage, isPermanentRefusal } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import type { JetStreamManager, NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/harness/index.js';
import { SqliteIdempotencyStore } from '../../src/api/idempotency-store.js';
import { ConflictDesk, ConflictIntake } from '../../src/conflicts/index.js';
import { Operations } from '../../src/control/index.js';
import { JobBoard, type JobEnd } from '../../src/jobs/index.js';
import { settleFollowedJobs } from '../../src/wiring/ops-replication.js';
import { trustFixture } from '../../src/ingest/ingest.test-helper.js';
import { leadRunJournal } from '../../src/lead-run-journal.js';
import { encodeEntry, type OpsFollower, type OpsMirror } from '../../src/replication/operations/index.js';
import type { AgentArrival, JournaledRun } from '../../src/scatter/index.js';
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

beforeAll(async () => {
  rig = await startOpsRig('cluster-r', 7, 3);
  ({ names, nc, jsm, a, b, log, mirror, follower } = rig);
  mirror.observe(a);
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

describe('operations mirrored by one lead and followed by another', () => {
  it('brings runs, ACKs, history, conflicts, dead letters and idempotency answers to the standby', async () => {
    const journal = mirror.journal(leadRunJournal(a.running, log.logger));
    const run = { operationId: 'op-r', op: { operationId: 'op-r' }, plan: { planned: [] }, submittedAt: 1, startedAt: 2, deadline: 3, waived: [] } as unknown as JournaledRun;
    a.operations.save({ operationId: 'op-r', createdAt: 1, updatedAt: 2, status: 'running', verb: 'observe', priority: 1, request: { verb: 'observe' }, result: null });
    journal.begun(run);
    await journal.acked('op-r', { agentId: 'pi-1', receivedAt: 5 } as AgentArrival);
    a.conflicts.append({ conflictId: 'c-1', receivedAt: 4, agentId: 'pi-1', operationId: 'op-r', conflictType: 'OTHER', priority: 2, signerId: 'pi-1', signature: 'sig', body: new Uint8Array([1, 2, 3]) });
    const kept = a.deadLetters.add({ createdAt: 5, operationId: 'op-r', agentId: 'pi-2', kind: 'coordinate.agent', reason: 'no route', attempts: 1, payload: { x: 1 } });
    const dropped = a.deadLetters.add({ createdAt: 6, operationId: null, agentId: null, kind: 'coordinate.group', reason: 'gone', attempts: 1, payload: null });
    a.deadLetters.failedAgain(kept, 'still no route');
    a.deadLetters.delete(dropped);
    mirror.idempotency(new SqliteIdempotencyStore(a.db)).put('op-1', 'key-1', { fingerprint: 'f', status: 202, headers: { location: '/v1/operations/op-r' }, body: '{"ok":true}', createdAt: Date.now() });

    await waitFor('the standby to have every entry', 10_000, async () => ((await follower.caughtUp(jsm, 1_000)) && b.deadLetters.get(kept)?.attempts === 2 ? true : undefined));
    const [followed] = b.running.load();
    expect(followed).toMatchObject({ operationId: 'op-r', deadline: 3, acks: [{ agentId: 'pi-1', receivedAt: 5 }] });
    expect(b.operations.get('op-r')).toMatchObject({ status: 'running', verb: 'observe' });
    expect(b.conflicts.list().map((c) => [c.conflictId, [...c.body]])).toEqual([['c-1', [1, 2, 3]]]);
    expect(b.deadLetters.get(kept)).toMatchObject({ id: kept, reason: 'still no route', attempts: 2, payload: { x: 1 } });
    expect(b.deadLetters.get(dropped)).toBeUndefined();
    expect(new SqliteIdempotencyStore(b.db).get('op-1', 'key-1', Date.now())).toMatchObject({ status: 202, body: '{"ok":true}' });
    expect(follower.rejected).toBe(0);

    // Ended on A: gone from B's runs in flight.
    journal.ended('op-r', () => undefined);
    await waitFor('the run to end on the standby', 10_000, () => (b.running.count() === 0 ? true : undefined));
  });

  it('skips what a fenced lead writes late, and what does not parse', async () => {
    rig.epoch = 9;
    a.operations.save({ operationId: 'op-f', createdAt: 1, updatedAt: 2, status: 'completed', verb: 'observe', priority: 1, request: null, result: { from: 'holder' } });
    await waitFor('the holder\'s record', 10_000, () => (b.operations.get('op-f') !== undefined ? true : undefined));
    const rejected = follower.rejected;
    const stale = { type: 'history' as const, epoch: 8, record: { operationId: 'op-f', createdAt: 1, updatedAt: 3, status: 'completed', verb: 'observe', priority: 1, request: null, result: { from: 'fenced' } } };
    const js = nc.jetstream();
    await js.publish(names.history('op-f'), encodeEntry(stale));
    await js.publish(names.history('op-junk'), new TextEncoder().encode('{"type":"history"'));
    await waitFor('both to be skipped', 10_000, () => (follower.rejected === rejected + 2 ? true : undefined));
    expect(b.operations.get('op-f')?.result).toEqual({ from: 'holder' });
    expect(b.operations.get('op-junk')).toBeUndefined();
  });
});

describe('an ACK whose publish failed', () => {
  it('is published again when the agent redelivers it, and only then', async () => {
    const journal = mirror.journal(leadRunJournal(a.running, log.logger));
    const run = { operationId: 'op-re', op: { operationId: 'op-re' }, plan: { planned: [] }, submittedAt: 1, startedAt: 2, deadline: 3, waived: [] } as unknown as JournaledRun;
    journal.begun(run);
    await waitFor('the run on the standby', 10_000, () => b.running.load().find((r) => r.operationId === 'op-re'));
    await jsm.streams.update(names.opsStream, { subjects: [`${names.opsSubjects.slice(0, -2)}-paused.>`] });
    await expect(journal.acked('op-re', { agentId: 'pi-r1', receivedAt: 9 } as AgentArrival)).rejects.toThrow();
    await jsm.streams.update(names.opsStream, { subjects: [names.opsSubjects] });
    expect(journal.redelivered?.('op-re', 'pi-r2')).toBeUndefined();
    await journal.redelivered?.('op-re', 'pi-r1');
    await waitFor('the redelivered ACK on the standby', 10_000, () => b.running.load().find((r) => r.operationId === 'op-re')?.acks.find((ack) => ack.agentId === 'pi-r1'));
    expect(journal.redelivered?.('op-re', 'pi-r1')).toBeUndefined();
    journal.ended('op-re', () => undefined);
  });
});

describe('a CONFLICT report on the JetStream store', () => {
  it('is answered ok only once on the stream; refused while the stream takes nothing, it lands on the agent\'s next try', async () => {
    const fx = await trustFixture();
    const agent = await fx.agent('pi-c1');
    const leadKeys = await nodeEd25519.generateKeyPair();
    const desk = new ConflictDesk({ clock: fx.clock, log: a.conflicts, quarantine: a.quarantine, deadLetters: a.deadLetters, logger: log.logger, leadId: 'lead-a' }, { escalateAt: 5 });
    const intake = new ConflictIntake({
      desk,
      ed25519: nodeEd25519,
      resolveKey: fx.resolveKey,
      replay: new ReplayGuard({ clock: fx.clock, ttlMs: 60_000, skewMs: 5_000 }),
      logger: log.logger,
      leadId: 'lead-a',
      replies: { leadId: 'lead-a', signer: nodeEd25519.signerSync(leadKeys.privateKey), clock: fx.clock },
      clock: fx.clock,
      replicate: (conflictId) => mirror.conflictReplicated(conflictId),
    });
    // The agent's outbox signs each try afresh (new message id), the conflict id stays.
    const report = (conflictId: string, late: boolean) => {
      const message = sampleMessage('CONFLICT', { sender: agent.agentId, at: fx.clock.now(), overrides: { conflict_id: conflictId, ...(late ? { late: true, outbox_seq: 1 } : {}) } });
      return encodeMessage(message, agent.signer, agent.agentId);
    };
    const onB = (conflictId: string) => b.conflicts.get(conflictId);
    const streamMessages = async () => (await jsm.streams.info(names.conflictsStream)).state.messages;

    const before = await streamMessages();
    expect((await intake.handle(await report('conflict-ok', false))).ok).toBe(true);
    expect(await streamMessages()).toBe(before + 1);
    await waitFor('the conflict on the standby', 10_000, () => onB('conflict-ok'));

    // The stream stops taking the conflict subject: the publish fails (no stream answers).
    await jsm.streams.update(names.conflictsStream, { subjects: [`${names.conflict}-paused`] });
    const failures = mirror.failures;
    const refused = await intake.handle(await report('conflict-held', false));
    expect(refused).toMatchObject({ ok: false, code: 'STORE_FAILED' });
    // What the agent does with it (pi-daemon ack-sender and outbox relay): a temporary refusal stays in its outbox.
    expect(isPermanentRefusal((refused as { code: string }).code)).toBe(false);
    expect(mirror.failures).toBeGreaterThan(failures);
    expect(a.conflicts.get('conflict-held')).toBeDefined();
    expect(await streamMessages()).toBe(before + 1);

    // A retry while still unavailable is refused again, though A has it logged already.
    expect(await intake.handle(await report('conflict-held', true))).toMatchObject({ ok: false, code: 'STORE_FAILED' });

    // The stream is back; the outbox's next try lands the conflict, once, on the standby.
    await jsm.streams.update(names.conflictsStream, { subjects: [names.conflict] });
    expect((await intake.handle(await report('conflict-held', true))).ok).toBe(true);
    expect(await streamMessages()).toBe(before + 2);
    await waitFor('the held conflict on the standby', 10_000, () => onB('conflict-held'));
    expect(onB('conflict-held')).toMatchObject({ agentId: 'pi-c1', conflictType: 'DATA_CONTRADICTION' });
    expect(intake.stats()).toMatchObject({ accepted: 2, refused: { STORE_FAILED: 2 } });
  });

  it('holds a CONFLICT ACK\'s answer until its conflict is on the stream too', async () => {
    const journal = mirror.journal(leadRunJournal(a.running, log.logger));
    const run = { operationId: 'op-cf', op: { operationId: 'op-cf' }, plan: { planned: [] }, submittedAt: 1, startedAt: 2, deadline: 3, waived: [] } as unknown as JournaledRun;
    journal.begun(run);
    const conflict = { receivedAt: 9, operationId: 'op-cf', conflictType: 'OTHER', priority: 2, signerId: 'pi-c2', signature: 'sig', body: new Uint8Array([7]) };
    await jsm.streams.update(names.conflictsStream, { subjects: [`${names.conflict}-paused`] });
    // As the engine does: the desk logs the ACK's conflict, then the journal takes the ACK.
    a.conflicts.append({ ...conflict, conflictId: 'ack-conflict-1', agentId: 'pi-c2' });
    await expect(journal.acked('op-cf', { agentId: 'pi-c2', receivedAt: 9, trinaryState: -1 } as AgentArrival)).rejects.toThrow();
    await jsm.streams.update(names.conflictsStream, { subjects: [names.conflict] });
    // The agent redelivers the ACK (answered STORE_FAILED): its conflict is published with it this time.
    await journal.redelivered?.('op-cf', 'pi-c2');
    await waitFor('the redelivered ACK\'s conflict on the standby', 10_000, () => b.conflicts.get('ack-conflict-1'));
    a.conflicts.append({ ...conflict, conflictId: 'ack-conflict-2', agentId: 'pi-c3' });
    await journal.acked('op-cf', { agentId: 'pi-c3', receivedAt: 9, trinaryState: -1 } as AgentArrival);
    await waitFor('the ACK\'s conflict on the standby', 10_000, () => b.conflicts.get('ack-conflict-2'));
    journal.ended('op-cf', () => undefined);
  });
});

describe('jobs on the JetStream store', () => {
  it('shows A\'s jobs on B; taking over, B follows a scatter job\'s operation and ends the other live jobs FAILED_OVER', async () => {
    const aJobs = new JobBoard(() => Date.now());
    mirror.jobs(aJobs);
    const never = new Promise<JobEnd>(() => undefined);
    a.operations.save({ operationId: 'op-job', createdAt: 1, updatedAt: 2, status: 'running', verb: 'observe', priority: 1, request: null, result: null });
    aJobs.start({ id: 'op-job', kind: 'scatter_gather', state: 'RUNNING', done: never });
    // What the API waits for before its 202: the job is on the stream once copied says so.
    expect(await aJobs.copied('op-job', 10_000)).toBe(true);
    const onStream = await jsm.streams.getMessage(names.opsStream, { last_by_subj: names.job('op-job') });
    expect(JSON.parse(new TextDecoder().decode(onStream.data))).toMatchObject({ type: 'job', job: { id: 'op-job', state: 'RUNNING' } });
    aJobs.start({ id: 'op-ask-lost', kind: 'ask', state: 'RUNNING', done: never });
    aJobs.start({ id: 'op-heal', kind: 'heal', state: 'RUNNING', done: { ok: true, result: { healed: 2 } } });
    aJobs.start({ id: 'op-delegation', kind: 'delegation', state: 'RUNNING', done: never });
    aJobs.start({ id: 'op-cascade', kind: 'cascade', state: 'RUNNING', poll: () => undefined });
    aJobs.start({ id: 'op-cancelling', kind: 'delegation', state: 'RUNNING', done: never });
    aJobs.cancel('op-cancelling');

    const { bJobs } = rig;
    await waitFor('the jobs on the standby', 10_000, () => (bJobs.get('op-cancelling')?.state === 'CANCELLING' && b.operations.get('op-job') !== undefined ? true : undefined));
    expect(bJobs.get('op-heal')).toMatchObject({ kind: 'heal', state: 'SUCCEEDED', result: { healed: 2 } });
    expect(bJobs.live().map((view) => view.id)).toEqual(['op-job', 'op-ask-lost', 'op-delegation', 'op-cascade', 'op-cancelling']);

    // B takes over: its engine resumes op-job (still running in its history); op-ask-lost's operation never reached B.
    const operations = new Operations({ clock: { now: () => Date.now() }, engine: undefined as never, history: b.operations, admissionRefusal: () => null });
    expect(settleFollowedJobs(bJobs, operations, log.logger, Date.now())).toEqual({ followed: 1, failedOver: 4 });
    for (const id of ['op-ask-lost', 'op-delegation', 'op-cascade']) expect(bJobs.get(id)).toMatchObject({ state: 'FAILED', error: { code: 'FAILED_OVER' }, result: { interrupted: { by: 'failover' } } });
    expect(bJobs.get('op-ask-lost')?.result).toMatchObject({ interrupted: { failed_over: 'plan_lost' } });
    expect(bJobs.get('op-delegation')?.result).toMatchObject({ interrupted: { failed_over: 'not_resumable' } });
    expect(bJobs.get('op-cancelling')).toMatchObject({ state: 'CANCELLED', error: { code: 'FAILED_OVER' } });
    expect(bJobs.get('op-job')?.state).toBe('RUNNING');

    // The resumed operation ends on B: so does its job, with the history's result.
    const result = { status: 'SUCCESS', counts: { selected: 1, sent: 1, ready: 1 } };
    b.operations.save({ operationId: 'op-job', createdAt: 1, updatedAt: 3, status: 'completed', verb: 'observe', priority: 1, request: null, result: { result } });
    expect(bJobs.get('op-job')).toMatchObject({ state: 'SUCCEEDED', result: { status: 'SUCCESS' } });
    expect(bJobs.live()).toEqual([]);
  });
});
