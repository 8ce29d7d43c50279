/**
 * bench (cluster-lead): registry memory per agent for 30,000 agents, snapshot write and
 * restore time for 30,000 agents, and heartbeat ingest rate (verify + parse + registry +
 * signed reply) inline and over worker threads, beside the raw native verify rate measured
 * in the same run. Run with: npm run bench -w @mesh30k/cluster-lead
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { argv, stdout } from 'node:process';
import { setImmediate as turn } from 'node:timers/promises';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { fromBase64Url, type SignedFrame } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { makeTempDir } from '../../../../test/harness/index.js';
import { formatTable, writeReport } from '../../../../test/bench/lib/report.js';
import { measureRate, percentile } from '../../../../test/bench/lib/measure.js';
import { EventBus } from '../../src/lib/events.js';
import { silentLogger } from '../../src/lib/logger.js';
import { ControlState, HeartbeatIngest, HeartbeatReplay, IngestCounters, InlineVerifier, VerifyPool, type FrameVerifier } from '../../src/ingest/index.js';
import { trustFixture } from '../../src/ingest/ingest.test-helper.js';
import { GuardRails, Registry, type PersistedAgent } from '../../src/registry/index.js';
import { OPTIONS, ScriptedProber, SetLag, beat, harness } from '../../src/registry/registry.test-helper.js';
import { LeadStore } from '../../src/store/index.js';
import { TrustCache, trustedKeyResolver } from '../../src/trust/index.js';

const AGENTS = 30_000;
const CLUSTERS = 100;
const MEMORY_TARGET_BYTES = 2_048;
const INGEST_FRAMES = 18_000;
const INGEST_SIGNERS = 200;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const agentId = (i: number) => `pi-${String(i).padStart(5, '0')}`;
const shapeOf = (i: number) => ({ clusterId: `cluster-${i % CLUSTERS}`, sectorId: `sector-${i % 10}`, capabilities: ['sensor.read', 'gpio'] });

function fillRegistry(withOutcomes: boolean) {
  const h = harness();
  for (let i = 0; i < AGENTS; i++) {
    beat(h, [agentId(i)], shapeOf(i), { impedance_score: 200 + (i % 50), current_latency_ms: 10 + (i % 30) });
    if (withOutcomes) {
      h.registry.recordOutcome(agentId(i), { result: 'success', processingMs: 100 + (i % 40), verb: 'act' });
      h.registry.recordOutcome(agentId(i), { result: 'error', processingMs: 300, verb: 'observe' });
    }
  }
  return h;
}

export function memory(): { scenario: string; bytesPerAgent: number }[] {
  const rows: { scenario: string; bytesPerAgent: number }[] = [];
  // Each registry is kept alive until all are measured, so a later "before" never counts an
  // earlier registry being collected.
  const alive: unknown[] = [];
  for (const [scenario, withOutcomes] of [
    ['heartbeats only', false],
    ['heartbeats + ACK outcomes (health state kept)', true],
  ] as const) {
    const before = heapBytes();
    const h = fillRegistry(withOutcomes);
    h.events.length = 0;
    const after = heapBytes();
    rows.push({ scenario, bytesPerAgent: (after - before) / AGENTS });
    if (h.registry.size !== AGENTS) throw new Error('registry lost agents');
    alive.push(h);
  }
  return rows;
}

export async function snapshotAndRestore() {
  const dir = await makeTempDir('mesh30k-bench-');
  try {
    const h = fillRegistry(true);
    const persisted: PersistedAgent[] = [];
    for (let i = 0; i < AGENTS; i++) persisted.push(h.registry.persisted(agentId(i))!);
    let store = LeadStore.open(dir.path, { busyTimeoutMs: 5_000 });
    const writeStart = performance.now();
    for (let i = 0; i < AGENTS; i += 500) {
      store.agents.write(persisted.slice(i, i + 500), 0);
      await turn();
    }
    const writeMs = performance.now() - writeStart;
    store.close();

    const restoreStart = performance.now();
    store = LeadStore.open(dir.path, { busyTimeoutMs: 5_000 });
    const loaded = store.agents.loadAll();
    const loadMs = performance.now() - restoreStart;
    const registry = new Registry(
      { clock: h.clock, events: new EventBus(), prober: new ScriptedProber(), guard: new GuardRails({ clock: h.clock, lag: new SetLag() }, { restartGraceMs: 0, timeoutFactor: 2, lagThresholdMs: 200, lagGraceMs: 1 }), transportUp: () => true },
      OPTIONS,
    );
    const restored = registry.restore(loaded.agents);
    const restoreMs = performance.now() - restoreStart;
    store.close();
    if (restored !== AGENTS || loaded.invalid.length > 0) throw new Error(`restored ${restored}, ${loaded.invalid.length} invalid`);
    const a = h.registry.timingInputs(agentId(7), { verb: 'act' })!;
    const b = registry.timingInputs(agentId(7), { verb: 'act' })!;
    if (a.processing.expectedMs !== b.processing.expectedMs || a.clock?.offsetMs !== b.clock?.offsetMs) throw new Error('restored state differs');
    return { writeMs, loadMs, restoreMs };
  } finally {
    await dir.dispose();
  }
}

/** One verifier variant: inline (0 threads) or a pool of worker threads. */
export type VerifierVariant = 0 | 1 | 2;

export interface IngestRound {
  heartbeatsPerSec: number;
  /** Main event loop utilisation during the round (0..1). */
  mainThreadBusy: number;
  /** Process CPU time / wall time: main thread plus verify workers, in cores. */
  coresUsed: number;
  /** Main event-loop delay during the round, ms (perf_hooks.monitorEventLoopDelay, 1 ms resolution). */
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export interface IngestVariantResult extends IngestRound {
  verifier: string;
  threads: number;
  /** Every measured round (the warm-up round is discarded); the top-level figures are the median-rate round's. */
  rounds: IngestRound[];
}

export interface PacedResult extends IngestRound {
  verifier: string;
  threads: number;
  offeredPerSec: number;
  /** The load generator's achieved offer rate over the asked one (checked >= 0.95). */
  offeredShare: number;
  answered: number;
  /** Submit-to-reply latency of one heartbeat through verify + registry + signed reply, ms. */
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export interface IngestBench {
  frames: number;
  signers: number;
  rawVerifyPerSec: number;
  rawVerifyRounds: number[];
  rows: IngestVariantResult[];
  paced: PacedResult[];
}

interface IngestRig {
  ingest: HeartbeatIngest;
  now: () => number;
}

/**
 * Heartbeat ingest (verify + parse + registry + signed reply), inline and over worker threads:
 * a saturating stream (512 in flight, as a NATS subscription would deliver them) over several
 * rounds after a discarded warm-up round, and a paced stream at `pacedRate` per second that
 * shows what a fixed load costs (CPU, event-loop delay). The raw native verify rate is measured
 * in the same run.
 */
export async function ingestBench(options: { variants?: readonly VerifierVariant[]; rounds?: number; pacedRate?: number; pacedVariants?: readonly VerifierVariant[] } = {}): Promise<IngestBench> {
  const { variants = [0, 1, 2], rounds = 3, pacedRate = 6_000, pacedVariants = [0, 2] } = options;
  const fx = await trustFixture();
  const signers = await Promise.all(Array.from({ length: INGEST_SIGNERS }, (_, i) => fx.agent(agentId(i))));
  const frames: SignedFrame[] = [];
  for (let i = 0; i < INGEST_FRAMES; i++) frames.push(await signers[i % INGEST_SIGNERS]!.frame({ seq: i }));
  const key = (fx.trust.lookup(agentId(0)) as { ok: true; value: { publicKey: Uint8Array } }).value.publicKey;
  const rawVerify = await measureRate(() => nodeEd25519.verifySync(key, frames[0]!.body, fromBase64Url(frames[0]!.signature)));
  const lead = await nodeEd25519.generateKeyPair();
  const identity = { leadId: 'lead-bench', publicKey: lead.publicKey, publicKeyText: '', signer: nodeEd25519.signerSync(lead.privateKey) };

  // As the lead wires it: lookups through the trust cache.
  const trust = new TrustCache(fx.trust, () => fx.clock.now());
  const resolveKey = trustedKeyResolver(trust);
  // A fresh registry and replay cache per round, so every round ingests the same frames as new.
  const rig = (verifier: FrameVerifier): IngestRig => {
    const events = new EventBus();
    const registry = new Registry(
      { clock: fx.clock, events, prober: new ScriptedProber(), guard: new GuardRails({ clock: fx.clock, lag: new SetLag() }, { restartGraceMs: 0, timeoutFactor: 2, lagThresholdMs: 200, lagGraceMs: 1 }), transportUp: () => true },
      OPTIONS,
    );
    const ingest = new HeartbeatIngest(
      {
        clock: fx.clock,
        events,
        logger: silentLogger(),
        registry,
        trust,
        verifier,
        replay: new HeartbeatReplay({ clock: fx.clock }, { ttlMs: 10_000, skewMs: 2_000, maxEntries: 4 * INGEST_FRAMES }),
        control: new ControlState(undefined),
        identity,
        counters: new IngestCounters(),
      },
      { heartbeatIntervalMs: 5_000, replyTtlMs: 5_000 },
    );
    return { ingest, now: () => fx.clock.now() };
  };
  const makeVerifier = async (threads: number): Promise<FrameVerifier> => {
    const rules = { resolveKey, accept: ['HEARTBEAT'] as const };
    const verifier: FrameVerifier = threads === 0 ? new InlineVerifier(rules) : new VerifyPool({ rules, logger: silentLogger() }, { threads, batchMax: 64, queueMax: 100_000, flushMs: 2 });
    await verifier.ready;
    return verifier;
  };
  const label = (threads: number) => (threads === 0 ? 'inline' : `pool, ${threads} thread${threads > 1 ? 's' : ''}`);

  const saturate = async ({ ingest, now }: IngestRig): Promise<IngestRound> => {
    const meter = startMeter();
    let next = 0;
    let accepted = 0;
    const worker = async () => {
      while (next < frames.length) {
        const reply = await ingest.process(frames[next++]!, now());
        if (reply !== null) accepted++;
      }
    };
    await Promise.all(Array.from({ length: 512 }, worker));
    const m = meter.stop();
    if (accepted !== frames.length) throw new Error(`only ${accepted} of ${frames.length} answered`);
    return { heartbeatsPerSec: (frames.length / m.elapsedMs) * 1000, ...m.figures };
  };

  const rows: IngestVariantResult[] = [];
  for (const threads of variants) {
    const verifier = await makeVerifier(threads);
    await saturate(rig(verifier)); // warm-up round, discarded
    const measured: IngestRound[] = [];
    for (let r = 0; r < rounds; r++) measured.push(await saturate(rig(verifier)));
    await verifier.close();
    const median = [...measured].sort((a, b) => a.heartbeatsPerSec - b.heartbeatsPerSec)[Math.floor(measured.length / 2)]!;
    rows.push({ verifier: label(threads), threads, ...median, rounds: measured });
  }

  const paced: PacedResult[] = [];
  for (const threads of pacedVariants) {
    const verifier = await makeVerifier(threads);
    await saturate(rig(verifier)); // warm-up
    const { ingest, now } = rig(verifier);
    const latencies: number[] = [];
    let answered = 0;
    const pending: Promise<void>[] = [];
    const meter = startMeter();
    const start = performance.now();
    let sent = 0;
    while (sent < frames.length) {
      const due = Math.min(frames.length, Math.floor(((performance.now() - start) / 1000) * pacedRate) + 1);
      for (; sent < due; sent++) {
        const at = performance.now();
        pending.push(
          ingest.process(frames[sent]!, now()).then((reply) => {
            if (reply !== null) answered++;
            latencies.push(performance.now() - at);
          }),
        );
      }
      await sleep(1);
    }
    const offerMs = performance.now() - start;
    await Promise.all(pending);
    const m = meter.stop();
    await verifier.close();
    const offeredPerSec = (frames.length / offerMs) * 1000;
    paced.push({
      verifier: label(threads),
      threads,
      offeredPerSec,
      offeredShare: offeredPerSec / pacedRate,
      answered,
      heartbeatsPerSec: (answered / m.elapsedMs) * 1000,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      ...m.figures,
    });
  }
  return { frames: INGEST_FRAMES, signers: INGEST_SIGNERS, rawVerifyPerSec: rawVerify.opsPerSec, rawVerifyRounds: rawVerify.rounds, rows, paced };
}

/** Event-loop utilisation, process CPU (all threads) and event-loop delay over one interval. */
function startMeter() {
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const start = performance.now();
  return {
    stop() {
      const elapsedMs = performance.now() - start;
      delay.disable();
      const used = process.cpuUsage(cpu);
      return {
        elapsedMs,
        figures: {
          mainThreadBusy: performance.eventLoopUtilization(elu).utilization,
          coresUsed: (used.user + used.system) / 1000 / elapsedMs,
          // The histogram counts the monitor's own 1 ms sampling period; subtract it so 0 means no delay.
          loopDelayP50Ms: Math.max(0, delay.percentile(50) / 1e6 - 1),
          loopDelayP99Ms: Math.max(0, delay.percentile(99) / 1e6 - 1),
          loopDelayMaxMs: Math.max(0, delay.max / 1e6 - 1),
        },
      };
    },
  };
}

async function main(): Promise<void> {
  const mem = memory();
  const persistence = await snapshotAndRestore();
  const ingest = await ingestBench();
  const file = writeReport('lead-registry', { agents: AGENTS, memory: mem, memoryTargetBytes: MEMORY_TARGET_BYTES, persistence, ingest });
  stdout.write(`\nbench (cluster-lead registry): ${AGENTS.toLocaleString('en-US')} agents\n\n`);
  stdout.write(`${formatTable(['registry memory', 'bytes / agent', `target < ${MEMORY_TARGET_BYTES}`], mem.map((r) => [r.scenario, r.bytesPerAgent, r.bytesPerAgent < MEMORY_TARGET_BYTES ? 'met' : 'MISSED']))}\n\n`);
  stdout.write(
    `${formatTable(['snapshot (SQLite, WAL)', 'ms'], [
      ['write 30,000 agents in batches of 500', persistence.writeMs],
      ['read 30,000 rows + validate', persistence.loadMs],
      ['restore: open + read + rebuild registry', persistence.restoreMs],
    ])}\n\n`,
  );
  stdout.write(
    `${formatTable(['heartbeat ingest (verify+parse+registry+signed reply)', 'heartbeats/s', 'x raw verify', 'main loop busy'], [
      ['raw native verify (same run, one thread)', ingest.rawVerifyPerSec, '1.00', ''],
      ...ingest.rows.map((r) => [r.verifier, r.heartbeatsPerSec, (r.heartbeatsPerSec / ingest.rawVerifyPerSec).toFixed(2), `${(r.mainThreadBusy * 100).toFixed(0)}%`]),
      ...ingest.paced.map((r) => [`${r.verifier}, paced at ${Math.round(r.offeredPerSec)}/s`, r.heartbeatsPerSec, (r.heartbeatsPerSec / ingest.rawVerifyPerSec).toFixed(2), `${(r.mainThreadBusy * 100).toFixed(0)}%`]),
    ])}\n\nresults: ${file}\n`,
  );
}

// Run only as a script: lead-bench imports the parts.
if (argv[1] !== undefined && import.meta.url === pathToFileURL(argv[1]).href) await main();
