// Property: whatever the interleaving of changes, timer passes, flushes and a crash in the middle
// of a write, every change made before a pass that completed is in the database after the crash,
// and a writer that survives a failed write loses nothing.
import { ManualClock } from '@mesh30k/shared';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { EventBus } from '../lib/events.js';
import { silentLogger } from '../lib/logger.js';
import type { PersistedAgent } from '../registry/index.js';
import { beat, harness } from '../registry/registry.test-helper.js';
import { LeadStore, SnapshotWriter, type AgentSnapshotStore } from './index.js';

const AGENTS = 6;
const SEEN_INTERVAL_MS = 10_000;

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-snapshot-crash-');
});
afterEach(async () => {
  await dir.dispose();
});

/** One agent's persisted form from a real registry; copies differ by id and by a version number. */
function template(): PersistedAgent {
  const h = harness();
  beat(h, ['pi-01']);
  return h.registry.persisted('pi-01')!;
}

type Step =
  | { kind: 'change'; agent: number }
  | { kind: 'seen'; agent: number }
  | { kind: 'tick'; advanceMs: number; during: number[] }
  | { kind: 'flush'; during: number[] };

const agent = fc.integer({ min: 0, max: AGENTS - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('change' as const), agent }),
  fc.record({ kind: fc.constant('seen' as const), agent }),
  fc.record({ kind: fc.constant('tick' as const), advanceMs: fc.integer({ min: 0, max: 15_000 }), during: fc.array(agent, { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('flush' as const), during: fc.array(agent, { maxLength: 4 }) }),
);

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SnapshotWriter across a crash (property)', () => {
  it('never loses a change that a completed pass covered, and writes every change once it survives a failed write', async () => {
    const base = template();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 40 }), fc.boolean(), async (steps, crashAtWrite, survive) => {
        const file = `${dir.path}/run-${run++}`;
        const store = LeadStore.open(file, { busyTimeoutMs: 1_000 });
        const clock = new ManualClock(1_800_000_000_000);
        const id = (i: number): string => `pi-${String(i).padStart(2, '0')}`;
        // version: every change; durable: the version of the last change that marked the agent dirty.
        const version = new Array<number>(AGENTS).fill(0);
        const durable = new Array<number>(AGENTS).fill(0);
        // What a completed pass promises is stored: per agent, at least this version.
        const promised = new Array<number>(AGENTS).fill(0);
        let writes = 0;
        let crashed = false;
        const failing: AgentSnapshotStore = Object.create(store.agents) as AgentSnapshotStore;
        failing.write = (batch, at) => {
          if (writes++ === crashAtWrite) throw new Error(survive ? 'disk I/O error' : 'crash');
          store.agents.write(batch, at);
        };
        const writer = new SnapshotWriter(
          {
            store: failing,
            read: (agentId) => {
              const i = Number(agentId.slice(3));
              return { ...base, agent_id: agentId, numbers: { ...base.numbers, seq: version[i]! } };
            },
            clock,
            events: new EventBus(),
            logger: silentLogger(),
          },
          // One agent per slice: the pass yields after every agent, so changes land mid-pass.
          { intervalMs: 1_000, batchSize: 2, seenIntervalMs: SEEN_INTERVAL_MS, sliceMs: 0 },
        );
        const change = (i: number): void => {
          version[i]!++;
          durable[i] = version[i]!;
          writer.markDirty(id(i));
        };
        const apply = (s: Step): void => {
          if (s.kind === 'change') change(s.agent);
          else if (s.kind === 'seen') {
            version[s.agent]!++;
            writer.markSeen(id(s.agent));
          }
        };
        for (const s of steps) {
          if (s.kind === 'change' || s.kind === 'seen') {
            apply(s);
            continue;
          }
          if (s.kind === 'tick') clock.advance(s.advanceMs);
          // At the pass's start: every durable change, and every change at all when seen agents are due.
          const withSeen = s.kind === 'flush' || clock.now() - (writer as unknown as { lastSeenPass: number }).lastSeenPass >= SEEN_INTERVAL_MS;
          const covers = (withSeen ? version : durable).slice();
          const pass = (s.kind === 'flush' ? writer.flush() : writer.tick()).then(
            () => true,
            () => false,
          );
          for (const i of s.during) {
            await turn();
            change(i);
          }
          const ok = await pass;
          if (ok) covers.forEach((v, i) => (promised[i] = Math.max(promised[i]!, v)));
          else if (!survive) {
            crashed = true;
            break;
          }
        }
        if (!crashed) {
          // The process lives on: one more flush must write every change, lost write or not.
          await writer.flush().catch(() => writer.flush());
          version.forEach((v, i) => (promised[i] = v));
        }
        store.close();
        // After the crash (or the end): a fresh open of the same file, as a restarted lead reads it.
        const reopened = LeadStore.open(file, { busyTimeoutMs: 1_000 });
        const stored = new Map(reopened.agents.loadAll().agents.map((a) => [a.agent_id, a.numbers.seq ?? -1]));
        reopened.close();
        for (let i = 0; i < AGENTS; i++) {
          if (promised[i]! === 0) continue;
          expect(stored.get(id(i)) ?? -1, `agent ${id(i)}`).toBeGreaterThanOrEqual(promised[i]!);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('writes an agent that was only seen no sooner than seenIntervalMs, and a real change on the next pass', async () => {
    const store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
    const base = template();
    const clock = new ManualClock(1_800_000_000_000);
    const writes: string[][] = [];
    const recording: AgentSnapshotStore = Object.create(store.agents) as AgentSnapshotStore;
    recording.write = (batch, at) => {
      writes.push(batch.map((a) => a.agent_id));
      store.agents.write(batch, at);
    };
    const writer = new SnapshotWriter(
      { store: recording, read: (agentId) => ({ ...base, agent_id: agentId }), clock, events: new EventBus(), logger: silentLogger() },
      { intervalMs: 1_000, batchSize: 100, seenIntervalMs: SEEN_INTERVAL_MS },
    );
    writer.markSeen('pi-01');
    writer.markSeen('pi-02');
    writer.markDirty('pi-02');
    expect(await writer.tick()).toBe(1);
    expect(writes.flat()).toEqual(['pi-02']);
    clock.advance(SEEN_INTERVAL_MS);
    expect(await writer.tick()).toBe(1);
    expect(writes.flat()).toEqual(['pi-02', 'pi-01']);
    expect(writer.pending).toBe(0);
    store.close();
  });
});
