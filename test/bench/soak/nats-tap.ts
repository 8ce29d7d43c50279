// A bystander on the mesh's NATS: it keeps a few real heartbeat and ACK frames (to replay them
// and to forge bad signatures from them), sees which COORDINATEs went out on the hold group
// subject, and floods the lead's subjects with bad frames. It never answers anything.
import { SIGNATURE_HEADER, SIGNER_HEADER, subjects } from '@mesh30k/shared';
import { connect, headers as natsHeaders, type MsgHdrs, type NatsConnection } from 'nats';

const KEEP_FRAMES = 64;

interface CapturedFrame {
  subject: string;
  data: Uint8Array;
  signer: string;
  signature: string;
}

export interface FloodCounts {
  garbage: number;
  badSignature: number;
  replayed: number;
  /** Replies the lead sent to the flood's reply subject (its refusals). */
  replies: number;
}

export class NatsTap {
  private readonly frames: CapturedFrame[] = [];
  private readonly coordinated = new Map<string, number>();
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly leadId: string,
  ) {}

  /** Connects and starts capturing; reconnects after a broker restart. */
  static async open(url: string, leadId: string): Promise<NatsTap> {
    const nc = await connect({ servers: url, name: 'soak-tap', reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 250, noEcho: true });
    const tap = new NatsTap(nc, leadId);
    for (const subject of [subjects.heartbeat(leadId), subjects.ack(leadId)]) nc.subscribe(subject, { callback: (_e, msg) => tap.keep(subject, msg.data, msg.headers) });
    nc.subscribe(subjects.coordinateGroup(leadId), { callback: (_e, msg) => tap.sawCoordinate(msg.data) });
    await nc.flush();
    return tap;
  }

  /** Resolves once a hold COORDINATE of every one of `operationIds` was seen, or at `deadline` (epoch ms) with false. */
  async waitForCoordinates(operationIds: readonly string[], deadline: number): Promise<boolean> {
    for (;;) {
      if (operationIds.every((id) => this.coordinated.has(id))) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const waiters = this.waiters;
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** Publishes `count` bad frames on the lead's heartbeat and ACK subjects, a third of each kind, each with a reply subject. */
  async flood(count: number): Promise<FloodCounts> {
    const counts: FloodCounts = { garbage: 0, badSignature: 0, replayed: 0, replies: 0 };
    const inbox = `_INBOX.soak-flood.${Date.now()}`;
    const sub = this.nc.subscribe(inbox, { callback: () => void counts.replies++ });
    const targets = [subjects.heartbeat(this.leadId), subjects.ack(this.leadId)];
    for (let i = 0; i < count; i++) {
      const kind = i % 3;
      const real = this.frames[i % Math.max(1, this.frames.length)];
      if (kind === 0 || real === undefined) {
        const junk = new Uint8Array(64 + (i % 256));
        for (let b = 0; b < junk.length; b++) junk[b] = (i * 31 + b * 17) & 0xff;
        this.nc.publish(targets[i % 2]!, junk, { reply: inbox });
        counts.garbage++;
      } else if (kind === 1) {
        const h = natsHeaders();
        h.set(SIGNER_HEADER, real.signer);
        // The real signature with its first character changed: well-formed, and wrong.
        h.set(SIGNATURE_HEADER, (real.signature.startsWith('A') ? 'B' : 'A') + real.signature.slice(1));
        this.nc.publish(real.subject, real.data, { headers: h, reply: inbox });
        counts.badSignature++;
      } else {
        const h = natsHeaders();
        h.set(SIGNER_HEADER, real.signer);
        h.set(SIGNATURE_HEADER, real.signature);
        this.nc.publish(real.subject, real.data, { headers: h, reply: inbox });
        counts.replayed++;
      }
      if (i % 500 === 499) await this.nc.flush();
    }
    await this.nc.flush();
    // The lead answers what it refuses; give its replies a moment to come back before counting.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    sub.unsubscribe();
    return counts;
  }

  async close(): Promise<void> {
    await this.nc.close();
  }

  private keep(subject: string, data: Uint8Array, h: MsgHdrs | undefined): void {
    const signer = h?.get(SIGNER_HEADER) ?? '';
    const signature = h?.get(SIGNATURE_HEADER) ?? '';
    if (signer === '' || signature === '') return;
    this.frames.push({ subject, data: data.slice(), signer, signature });
    if (this.frames.length > KEEP_FRAMES) this.frames.shift();
  }

  private sawCoordinate(data: Uint8Array): void {
    try {
      const id = (JSON.parse(new TextDecoder().decode(data)) as { operation_id?: unknown }).operation_id;
      if (typeof id === 'string' && !this.coordinated.has(id)) this.coordinated.set(id, Date.now());
    } catch {
      return;
    }
    for (const wake of [...this.waiters]) wake();
  }
}
