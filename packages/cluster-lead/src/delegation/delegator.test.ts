// The delegator on the scatter engine's unit seam (in-memory bus, ManualClock, ManualScheduler,
// the engine's fakes): the ACK's result payload via the AckTap, reassignment on a refusal, the
// attempt cap and its dead letter, a lead-wide refusal, bad input.
import { ManualClock, PROTOCOL_VERSION, ReplayGuard, encodeMessage, newMessageId, type Ack, type Coordinate } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { describe, expect, it } from 'vitest';
import { LEAD_ID, T0, agent } from '../../test/scatter/support/engine-fixture.js';
import { FakeRegistry, FakeRoutes, MemoryStore, RecordingOutcomes, SettableMode } from '../../test/scatter/support/fakes.js';
import { MemoryTransport } from '../../test/scatter/support/memory-transport.js';
import { silentLogger } from '../lib/logger.js';
import { ScatterEngine } from '../scatter/engine.js';
import { ManualScheduler } from '../scatter/manual-scheduler.js';
import { inlineAckVerifier } from '../scatter/verifier.js';
import type { DeadLetter } from '../store/dead-letters.js';
import { AckTap } from './ack-tap.js';
import type { DelegationRegistry } from './chooser.js';
import { createDelegator } from './delegator.js';

/** Every agent active and healthy, 50 ms of work; a1 is 5 ms away, the others 10 ms and up. */
function registryOf(targets: FakeRegistry): DelegationRegistry {
  const known = (id: string) => targets.agents.has(id);
  return {
    select: ({ selector }) => {
      const wanted = selector.agent_ids ?? [...targets.agents.keys()];
      return { agentIds: wanted.filter(known), excluded: [], unknown: wanted.filter((id) => !known(id)), panic: false };
    },
    get: (id) => (known(id) ? ({ agentId: id, agentClass: 'E', state: 'active', health: { state: 'healthy', score: 1, quarantineDeferred: false } } as never) : undefined),
    timingInputs: (id) => (known(id) ? ({ agentId: id, oneWayDelayMs: targets.agents.get(id)!.oneWayDelayMs, jitterMs: 0, processing: { expectedMs: 50, spreadMs: 0 }, confidence: 1, clock: null, supportedModes: ['lead', 'none'] } as never) : undefined),
  };
}

async function setup(ids: readonly string[], frozen: string | null = null, retryTimeoutFactor?: () => number) {
  const [lead, agentPair] = await Promise.all([nodeEd25519.generateKeyPair(), nodeEd25519.generateKeyPair()]);
  const clock = new ManualClock(T0);
  const transport = new MemoryTransport(clock);
  const targets = new FakeRegistry(ids.map((id, i) => agent(id, { oneWayDelayMs: 5 + 10 * i })));
  const tap = new AckTap();
  const verifier = tap.wrap(inlineAckVerifier({ ed25519: nodeEd25519, resolveKey: () => ({ ok: true, value: agentPair.publicKey }), replay: new ReplayGuard({ clock }) }));
  const scheduler = new ManualScheduler(clock);
  const engine = new ScatterEngine({
    clock,
    scheduler,
    identity: { leadId: LEAD_ID, signer: nodeEd25519.signerSync(lead.privateKey) },
    targets,
    routes: new FakeRoutes(),
    outcomes: new RecordingOutcomes(),
    transport,
    store: new MemoryStore(),
    mode: new SettableMode(),
    verifier,
    logger: silentLogger(),
  });
  engine.start();
  const letters: DeadLetter[] = [];
  const delegator = createDelegator({
    clock,
    engine,
    registry: registryOf(targets),
    deadLetters: { add: (l) => letters.push({ ...l, id: letters.length + 1 }) },
    logger: silentLogger(),
    acks: tap,
    admissionRefusal: () => frozen,
    ...(retryTimeoutFactor === undefined ? {} : { retryTimeoutFactor }),
  });
  return { clock, scheduler, transport, tap, letters, delegator, signer: nodeEd25519.signerSync(agentPair.privateKey) };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/**
 * The n-th COORDINATE the engine published: yields to the event loop until the engine has armed
 * its send timer (the payload hash is async), then fires it on the manual clock.
 */
async function published(s: Setup, n: number): Promise<Coordinate> {
  for (let i = 0; i < 10_000 && s.transport.published.length < n; i++) {
    const next = s.scheduler.pending('send') > 0 ? s.scheduler.nextAt() : undefined;
    if (next === undefined) await new Promise((resolve) => setImmediate(resolve));
    else await s.scheduler.advanceTo(Math.max(next, s.clock.now()));
  }
  const p = s.transport.published[n - 1];
  if (p === undefined) throw new Error(`only ${s.transport.published.length} COORDINATEs were sent`);
  return p.message;
}

async function ackFrom(s: Setup, agentId: string, coordinate: Coordinate, extra: Partial<Ack>) {
  const now = s.clock.now();
  const ack: Ack = {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(now),
    sender_id: agentId,
    created_at: now,
    ttl_ms: 30_000,
    kind: 'ACK',
    operation_id: coordinate.operation_id,
    coordinate_id: coordinate.message_id,
    agent_id: agentId,
    trinary_state: 1,
    release_mode: coordinate.release_mode,
    received_at_local: now - 50,
    ready_at_local: now,
    ready_at_mesh: now,
    processing_ms: 50,
    late: false,
    ...extra,
  };
  return s.transport.deliver(await encodeMessage(ack, s.signer, agentId));
}

describe('delegator (unit seam)', () => {
  it('sends one none-mode COORDINATE to the best agent and returns the result payload its ACK carried', async () => {
    const s = await setup(['a1', 'a2']);
    const running = s.delegator.delegate({ task: { verb: 'observe', payload: { q: 'hash?' } }, timeoutMs: 1_000 });
    const coordinate = await published(s, 1);
    expect(s.transport.published[0]).toMatchObject({ channel: 'agent', to: 'a1' });
    expect(coordinate).toMatchObject({ release_mode: 'none', selector: { agent_ids: ['a1'] }, verb: 'observe', payload: { q: 'hash?' } });
    expect(await ackFrom(s, 'a1', coordinate, { result: { hash: 'abc' } })).toMatchObject({ ok: true });
    const outcome = await running;
    expect(outcome).toMatchObject({ ok: true, result: { status: 'SUCCEEDED', agentId: 'a1', result: { hash: 'abc' }, attempts: [{ attempt: 1, agentId: 'a1', outcome: 'ready' }] } });
    expect(s.tap.size).toBe(0);
  });

  it('reassigns on a refusal and on a conflict, and dead-letters when the attempt cap is reached', async () => {
    const s = await setup(['a1', 'a2', 'a3']);
    const running = s.delegator.delegate({ delegationId: 'd-cap', task: { verb: 'act', payload: 1 }, maxAttempts: 2, timeoutMs: 1_000 });
    await ackFrom(s, 'a1', await published(s, 1), { trinary_state: 0, refusal: { code: 'BUSY', message: 'queue full' } });
    const conflict = { type: 'DATA_CONTRADICTION' as const, expected_value: '1', received_value: '2', context_hash: 'b'.repeat(64), detail: 'disagrees' };
    await ackFrom(s, 'a2', await published(s, 2), { trinary_state: -1, conflict });
    const outcome = await running;
    if (!outcome.ok) throw new Error('refused');
    expect(outcome.result).toMatchObject({ status: 'FAILED', agentId: null, reason: '2 attempt(s) used, none succeeded', deadLetterId: 1 });
    expect(outcome.result.attempts.map((a) => [a.agentId, a.outcome, a.reason])).toEqual([
      ['a1', 'refused', 'BUSY: queue full'],
      ['a2', 'conflict', 'CONFLICT: DATA_CONTRADICTION (disagrees)'],
    ]);
    expect(s.transport.published).toHaveLength(2);
    expect(s.letters).toHaveLength(1);
    expect(s.letters[0]).toMatchObject({ kind: 'delegation', operationId: 'd-cap', agentId: 'a2', attempts: 2, payload: { task: { verb: 'act', payload: 1 }, max_attempts: 2 } });
    expect(s.tap.size).toBe(0);
  });

  it('gives a reassigned attempt the degradation mode\'s retry timeout factor, not the first one', async () => {
    const s = await setup(['a1', 'a2'], null, () => 2);
    const running = s.delegator.delegate({ task: { verb: 'act', payload: 1 }, maxAttempts: 2, timeoutMs: 1_000 });
    const first = await published(s, 1);
    await ackFrom(s, 'a1', first, { trinary_state: 0, refusal: { code: 'BUSY', message: 'queue full' } });
    const second = await published(s, 2);
    expect([first.arrival_window_ms, second.arrival_window_ms]).toEqual([1_000, 2_000]);
    await ackFrom(s, 'a2', second, {});
    expect(await running).toMatchObject({ ok: true, result: { status: 'SUCCEEDED', agentId: 'a2' } });
  });

  it('fails at once, with a dead letter, when the lead refuses all operations or nobody matches', async () => {
    const frozen = await setup(['a1'], 'the lead is frozen');
    expect(await frozen.delegator.delegate({ task: { verb: 'act', payload: null } })).toMatchObject({ ok: true, result: { status: 'FAILED', attempts: [], reason: 'FROZEN: the lead is frozen', deadLetterId: 1 } });
    expect(frozen.transport.published).toEqual([]);
    const nobody = await setup(['a1']);
    const result = await nobody.delegator.delegate({ task: { verb: 'act', payload: null }, to: { agentId: 'ghost' } });
    expect(result).toMatchObject({ ok: true, result: { status: 'FAILED', reason: 'no agent can take the task (agent ghost: 1 unknown)', excluded: [{ agentId: 'ghost', code: 'unknown' }] } });
    expect(nobody.letters).toHaveLength(1);
  });

  it('refuses bad input with the field path, before anything is sent', async () => {
    const s = await setup(['a1']);
    expect(await s.delegator.delegate({ task: { verb: 'dance', payload: 1 } })).toMatchObject({ ok: false, error: { code: 'INVALID_DELEGATION', path: 'task.verb' } });
    expect(await s.delegator.delegate({ task: { verb: 'act', payload: 1 }, maxAttempts: 0 })).toMatchObject({ ok: false, error: { path: 'maxAttempts' } });
    expect(s.transport.published).toEqual([]);
    expect(s.letters).toEqual([]);
  });
});
