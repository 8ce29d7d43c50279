// True arrival error of the simulated agents. On one machine the real clock is known: every
// virtual agent runs on a SkewedClock (offset and drift drawn from its sim's seeded spec), so
// the ready time in an ACK (agent clock) converts back to real time exactly, and minus the
// root's T (leads run on the real clock) is the error the agent really made, whatever its
// lead believed. ACKs are read off NATS beside the leads; Workers answer over HTTP and are
// not seen here (their figures are in the leads' own arrival error).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SimSpec, virtualProfiles } from '@mesh30k/pi-daemon';
import { connect, type NatsConnection } from 'nats';

const PPM = 1e-6;
/** ACKs kept for operations not yet asked about; old ones are dropped. */
const MAX_OPERATIONS = 32;

interface SkewModel {
  offsetMs: number;
  rate: number;
  /** Real time when the sim built the clock: its enrollments were written just after. */
  anchorMs: number;
}

/** ready_at_local (agent clock) back to real time: the inverse of SkewedClock.fromBase. */
function toReal(model: SkewModel, localMs: number): number {
  return (localMs - model.offsetMs + model.anchorMs * model.rate) / (1 + model.rate);
}

/** Every virtual agent's clock, rebuilt from the sim specs local-mesh wrote into its dir. */
async function loadClockBook(meshDir: string): Promise<Map<string, SkewModel>> {
  const book = new Map<string, SkewModel>();
  for (const name of await readdir(meshDir)) {
    const match = /^(sim-\d+)\.spec\.json$/.exec(name);
    if (match === null) continue;
    const spec = SimSpec.parse(JSON.parse(await readFile(join(meshDir, name), 'utf8')));
    const anchorMs = (await stat(join(meshDir, `${match[1]}.enrollments.json`))).mtimeMs;
    for (const p of virtualProfiles(spec)) book.set(p.agentId, { offsetMs: p.offsetMs, rate: p.driftPpm * PPM, anchorMs });
  }
  return book;
}

interface ReadyAck {
  agentId: string;
  readyAtLocal: number;
  /** The agent's own reading of the instant in mesh time: minus the true time, its offset error. */
  readyAtMesh: number | undefined;
}

/** One operation's releases as the real clock saw them. */
export interface TrueReleases {
  /** Real ready time minus T, per READY simulated agent. */
  errors: number[];
  /** The agent's mesh time at its release minus the real time: its clock estimate's error. */
  offsetErrors: number[];
}

export class TrueArrivals {
  private readonly acks = new Map<string, ReadyAck[]>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly book: Map<string, SkewModel>,
  ) {}

  static async open(natsUrl: string, meshDir: string): Promise<TrueArrivals> {
    const book = await loadClockBook(meshDir);
    const nc = await connect({ servers: natsUrl, name: 'mesh-demo-ack-tap' });
    const tap = new TrueArrivals(nc, book);
    nc.subscribe('mesh.*.ack', { callback: (error, msg) => error === null && tap.take(msg.data) });
    return tap;
  }

  /** Agents whose clocks are known (the simulated ones). */
  get known(): number {
    return this.book.size;
  }

  private take(data: Uint8Array): void {
    let ack: { kind?: string; operation_id?: string; agent_id?: string; trinary_state?: number; ready_at_local?: number; ready_at_mesh?: number; refusal?: unknown };
    try {
      ack = JSON.parse(new TextDecoder().decode(data)) as typeof ack;
    } catch {
      return; // not an ACK body; the lead will refuse it too
    }
    if (ack.kind !== 'ACK' || ack.trinary_state !== 1 || ack.refusal !== undefined) return;
    if (typeof ack.operation_id !== 'string' || typeof ack.agent_id !== 'string' || typeof ack.ready_at_local !== 'number') return;
    let list = this.acks.get(ack.operation_id);
    if (list === undefined) {
      list = [];
      this.acks.set(ack.operation_id, list);
      if (this.acks.size > MAX_OPERATIONS) this.acks.delete(this.acks.keys().next().value!);
    }
    list.push({ agentId: ack.agent_id, readyAtLocal: ack.ready_at_local, readyAtMesh: typeof ack.ready_at_mesh === 'number' ? ack.ready_at_mesh : undefined });
  }

  /** Real ready time minus T, and the offset error, for each READY simulated agent of the operation (once per agent). */
  releases(operationId: string, targetTimeMs: number): TrueReleases {
    const list = this.acks.get(operationId) ?? [];
    this.acks.delete(operationId);
    const seen = new Set<string>();
    const out: TrueReleases = { errors: [], offsetErrors: [] };
    for (const { agentId, readyAtLocal, readyAtMesh } of list) {
      const model = this.book.get(agentId);
      if (model === undefined || seen.has(agentId)) continue;
      seen.add(agentId);
      const real = toReal(model, readyAtLocal);
      out.errors.push(real - targetTimeMs);
      if (readyAtMesh !== undefined) out.offsetErrors.push(readyAtMesh - real);
    }
    return out;
  }

  /** Real ready time minus T for each READY simulated agent of the operation (once per agent). */
  errors(operationId: string, targetTimeMs: number): number[] {
    return this.releases(operationId, targetTimeMs).errors;
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
