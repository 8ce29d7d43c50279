/**
 * bench:edge, the Worker half — the edge Worker running in workerd (Miniflare, bundled as for
 * `wrangler deploy`), driven over HTTP by a stand-in lead that signs every request:
 *
 *   - wall time per request (client side) and workerd CPU per request, for health (no crypto,
 *     no state: the runtime's own floor, measured in the same run), a COORDINATE refused for
 *     its signature (HTTP + body + verify), one refused as not selected (+ JSON and schema),
 *     ping (verify + one Durable Object call + sign) and COORDINATE (verify + two Durable
 *     Object calls + verb + sign), so the differences show where the CPU goes;
 *   - hold-mode precision: how long after T (on the Worker clock) the ACK says it was READY.
 *
 * CPU is the workerd process's user + system time over a phase divided by its requests: an
 * upper bound on what Cloudflare bills the Worker (it includes HTTP parsing, Miniflare's
 * routing worker, the Durable Object and its SQLite). Inside the Worker, CPU cannot be timed:
 * Date.now() is whole milliseconds and, on Cloudflare, stands still while code runs.
 * Target: COORDINATE CPU far inside the Free plan's 10 ms.
 *
 * The mixed scatter-gather (Pi agents over NATS and Workers over HTTPS, arrival error at T)
 * needs the cluster lead and is not part of this script.
 */
import { performance } from 'node:perf_hooks';
import { stdout } from 'node:process';
import {
  PROTOCOL_VERSION,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  encodeMessage,
  newMessageId,
  payloadHash,
  toBase64Url,
  verifyAndParse,
  type Ack,
  type Coordinate,
  type MeshMessage,
  type ReleaseMode,
  type Signer,
} from '@mesh30k/shared';
import { createNodeEd25519 } from '@mesh30k/shared/node';
import { processCpuMs, startEdgeWorker, type EdgeHost } from './edge-host.js';
import { percentile } from './lib/measure.js';
import { formatTable, writeReport } from './lib/report.js';

const LEAD_ID = 'lead-bench';
const AGENT_ID = 'edge-dev-1'; // wrangler.jsonc's top-level AGENT_ID
const REQUESTS = Number(process.env.EDGE_BENCH_REQUESTS ?? 1_000);
const HOLDS = Number(process.env.EDGE_BENCH_HOLDS ?? 200);
const CPU_BUDGET_MS = 10; // the Free plan's CPU limit per request

const ed25519 = createNodeEd25519();

interface Phase {
  name: string;
  requests: number;
  wallMs: { p50: number; p90: number; p99: number; max: number };
  workerdCpuMsPerRequest: number | null;
}

interface Lead {
  signer: Signer;
  agentKey: Uint8Array;
  host: EdgeHost;
}

async function main(): Promise<void> {
  const agent = await ed25519.generateKeyPair();
  const lead = await ed25519.generateKeyPair();
  const host = await startEdgeWorker({
    AGENT_PRIVATE_KEY: toBase64Url(agent.privateKey),
    LEAD_PUBLIC_KEYS: `${LEAD_ID}=${toBase64Url(lead.publicKey)}`,
  });
  const ctx: Lead = { signer: await ed25519.signer(lead.privateKey), agentKey: agent.publicKey, host };
  try {
    const coldStart = await timed(() => send(ctx, '/v1/ping', pingMessage()));
    for (let i = 0; i < 50; i++) await send(ctx, '/v1/coordinate', await coordinateMessage('lead'));

    const phases: Phase[] = [];
    phases.push(await phase(ctx, 'GET /v1/health (floor)', REQUESTS, () => fetch(new URL('/v1/health', host.url))));
    phases.push(
      await phase(ctx, 'POST /v1/coordinate (bad signature)', REQUESTS, async () => {
        const response = await send(ctx, '/v1/coordinate', await coordinateMessage('lead'), true);
        if (response.status !== 401) throw new Error(`a bad signature was answered ${response.status}`);
        return response;
      }),
    );
    phases.push(
      await phase(ctx, 'POST /v1/coordinate (not selected)', REQUESTS, async () => {
        const message = { ...(await coordinateMessage('lead')), selector: { agent_ids: ['someone-else'] } };
        const response = await send(ctx, '/v1/coordinate', message);
        if (response.status !== 422) throw new Error(`an unselected COORDINATE was answered ${response.status}`);
        return response;
      }),
    );
    phases.push(await phase(ctx, 'POST /v1/ping', REQUESTS, () => send(ctx, '/v1/ping', pingMessage())));
    const processing: number[] = [];
    phases.push(
      await phase(ctx, 'POST /v1/coordinate (lead)', REQUESTS, async () => {
        const ack = await readAck(ctx, await send(ctx, '/v1/coordinate', await coordinateMessage('lead')));
        processing.push(ack.processing_ms);
      }),
    );
    phases.push(
      await phase(ctx, 'POST /v1/coordinate (record)', REQUESTS, async () => {
        await readAck(ctx, await send(ctx, '/v1/coordinate', await coordinateMessage('lead', 'record')));
      }),
    );

    const lateness: number[] = [];
    const clientLateness: number[] = [];
    let overran = 0;
    phases.push(
      await phase(ctx, 'POST /v1/coordinate (hold, T+15 ms)', HOLDS, async () => {
        const message = await coordinateMessage('hold', 'observe', Date.now() + 15 + Math.random());
        const response = await send(ctx, '/v1/coordinate', message);
        const arrived = Date.now();
        const ack = await readAck(ctx, response);
        if (ack.received_at_local + ack.processing_ms > message.target_time) overran += 1;
        lateness.push(ack.ready_at_local - message.target_time);
        clientLateness.push(arrived - message.target_time);
      }),
    );

    // Eight holds in flight at once, T 2.5 ms apart: enough lead time (150 ms) for all eight
    // to finish their work first, so this measures wake-up precision with neighbours pending.
    const overlapping: number[] = [];
    for (let batch = 0; batch < HOLDS / 8; batch++) {
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const message = await coordinateMessage('hold', 'observe', Date.now() + 150 + i * 2.5 + Math.random());
          const ack = await readAck(ctx, await send(ctx, '/v1/coordinate', message));
          if (ack.received_at_local + ack.processing_ms > message.target_time) overran += 1;
          overlapping.push(ack.ready_at_local - message.target_time);
        }),
      );
    }

    report({ coldStartMs: coldStart.ms, phases, processing, lateness, clientLateness, overlapping, holdsOverranT: overran, cpuMeasured: host.workerdPid !== null });
  } finally {
    await host.dispose();
  }
}

async function phase(ctx: Lead, name: string, count: number, op: () => Promise<unknown>): Promise<Phase> {
  const pid = ctx.host.workerdPid;
  const cpuBefore = pid === null ? 0 : processCpuMs(pid);
  const wall: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const result = await op();
    if (result instanceof Response) await result.arrayBuffer();
    wall.push(performance.now() - start);
  }
  const cpu = pid === null ? null : (processCpuMs(pid) - cpuBefore) / count;
  return {
    name,
    requests: count,
    wallMs: { p50: percentile(wall, 50), p90: percentile(wall, 90), p99: percentile(wall, 99), max: Math.max(...wall) },
    workerdCpuMsPerRequest: cpu,
  };
}

function header(now = Date.now()) {
  return { v: PROTOCOL_VERSION, message_id: newMessageId(now), sender_id: LEAD_ID, created_at: now, ttl_ms: 30_000 } as const;
}

function pingMessage(): MeshMessage {
  const now = Date.now();
  return { ...header(now), kind: 'PING', target_id: AGENT_ID, t1: now };
}

async function coordinateMessage(mode: ReleaseMode, verb: Coordinate['verb'] = 'observe', target = Date.now() + 1_000): Promise<Coordinate> {
  const payload = { route: '/eu', n: Math.random() };
  const message: Coordinate = {
    ...header(),
    kind: 'COORDINATE',
    operation_id: `op-${Math.floor(Math.random() * 1e9)}`,
    verb,
    payload,
    payload_hash: await payloadHash(payload),
    payload_weight: 1,
    target_time: target,
    release_mode: mode,
    arrival_window_ms: 100,
    priority: 1,
    requires_capabilities: ['route'],
    selector: { agent_ids: [AGENT_ID] },
    routing_strategy: 'scatter-gather',
    trinary_expectation: 1,
  };
  // The Worker's offset (mesh - Worker clock): 0 here, one machine, one clock.
  const entry = { lead_time_ms: 0, expected_processing_ms: 0, confidence: 1, clock_offset_ms: 0 };
  return { ...message, compensation: { [AGENT_ID]: entry } };
}

/** Posts a signed message; `corrupt` flips a signature bit, so the Worker refuses it after verifying. */
async function send(ctx: Lead, path: string, message: MeshMessage, corrupt = false): Promise<Response> {
  const frame = await encodeMessage(message, ctx.signer, LEAD_ID);
  if (corrupt) frame.signature = `${frame.signature[0] === 'A' ? 'B' : 'A'}${frame.signature.slice(1)}`;
  return fetch(new URL(path, ctx.host.url), {
    method: 'POST',
    body: frame.body,
    headers: { 'content-type': 'application/json', [SIGNER_HEADER]: frame.signerId, [SIGNATURE_HEADER]: frame.signature },
  });
}

async function readAck(ctx: Lead, response: Response): Promise<Ack> {
  const body = new Uint8Array(await response.arrayBuffer());
  const verified = await verifyAndParse(
    { body, signerId: response.headers.get(SIGNER_HEADER), signature: response.headers.get(SIGNATURE_HEADER) },
    {
      ed25519,
      accept: ['ACK'],
      resolveKey: (id) => (id === AGENT_ID ? { ok: true, value: ctx.agentKey } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: id } }),
    },
  );
  if (!verified.ok) throw new Error(`the Worker answered ${response.status}, not a valid ACK: ${new TextDecoder().decode(body)}`);
  const ack = verified.value.message as Ack;
  if (ack.trinary_state !== 1) throw new Error(`the Worker did not become READY: ${JSON.stringify(ack.conflict ?? ack.refusal)}`);
  return ack;
}

async function timed<T>(op: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await op();
  return { ms: performance.now() - start, value };
}

function distribution(values: readonly number[]) {
  return { n: values.length, p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99), max: Math.max(...values), min: Math.min(...values) };
}

function report(results: {
  coldStartMs: number;
  phases: Phase[];
  processing: number[];
  lateness: number[];
  clientLateness: number[];
  overlapping: number[];
  /** Holds whose work itself ended after T (too little lead time), of all held. */
  holdsOverranT: number;
  cpuMeasured: boolean;
}): void {
  const coordinate = results.phases.find((p) => p.name.startsWith('POST /v1/coordinate (lead)'));
  const cpu = coordinate?.workerdCpuMsPerRequest ?? null;
  const table = formatTable(
    ['phase', 'requests', 'wall p50 ms', 'p90', 'p99', 'max', 'workerd CPU ms/req'],
    results.phases.map((p) => [p.name, p.requests, p.wallMs.p50, p.wallMs.p90, p.wallMs.p99, p.wallMs.max, p.workerdCpuMsPerRequest ?? 'n/a']),
  );
  const hold = distribution(results.lateness);
  const holdTable = formatTable(
    ['hold-mode lateness (ms after T)', 'n', 'min', 'p50', 'p90', 'p99', 'max'],
    [
      ['ACK ready_at_local - T, one at a time', hold.n, hold.min, hold.p50, hold.p90, hold.p99, hold.max],
      ...[['ACK ready_at_local - T, 8 overlapping', distribution(results.overlapping)] as const, ['response at the lead - T', distribution(results.clientLateness)] as const].map(
        ([label, d]) => [label, d.n, d.min, d.p50, d.p90, d.p99, d.max],
      ),
    ],
  );
  const file = writeReport('edge-coordinate', {
    ...results,
    processingMs: distribution(results.processing),
    holdLatenessMs: hold,
    overlappingHoldLatenessMs: distribution(results.overlapping),
    responseAfterTMs: distribution(results.clientLateness),
    cpuMethod: 'workerd process user+system time per phase / requests (upper bound; clock ticks)',
    target: { coordinateCpuMsBelow: CPU_BUDGET_MS, met: cpu === null ? null : cpu < CPU_BUDGET_MS },
  });
  stdout.write(`\nbench:edge (Worker) — workerd via Miniflare, HTTP on loopback, cold start ${results.coldStartMs.toFixed(1)} ms\n\n${table}\n\n${holdTable}\n\n`);
  const p = distribution(results.processing);
  stdout.write(`holds whose work ended after T (lead time too short, not a timer error): ${results.holdsOverranT} of ${results.lateness.length + results.overlapping.length}\n`);
  stdout.write(`ACK processing_ms (Worker clock, receipt to end of work, incl. 2 Durable Object calls): p50 ${p.p50} p90 ${p.p90} p99 ${p.p99} max ${p.max}\n`);
  stdout.write(
    cpu === null
      ? 'workerd CPU could not be read (no /proc); wall times only\n'
      : `COORDINATE CPU ${cpu.toFixed(2)} ms/request (upper bound) vs the Free plan's ${CPU_BUDGET_MS} ms: ${cpu < CPU_BUDGET_MS ? 'met' : 'MISSED'}\n`,
  );
  stdout.write(`results: ${file}\n`);
}

await main();
