/**
 * The lead's keys for an agent that pins only the mesh root (trust_roots, no lead_public_key):
 * asked for on subjects.announce, answered with the lead's enrollment signed by a mesh root.
 * Accepted only for role `lead` and this agent's lead id; until then nothing the lead signs
 * verifies, so the agent cannot be talked into anything by a stranger.
 *
 * Each lead process of an HA pair has its own key, enrolled by the root for the same lead id.
 * A lead that takes the lease publishes its enrollment on subjects.leadKey (`offer`), and a
 * frame in the lead's name that no known key verifies (`doubt`) makes the agent ask again, at
 * most once per `rediscoverMs`: it follows a failover without reconfiguration, and a key no
 * root enrolled is still refused.
 */
import { err, ok, subjects, verifyEnrollment, type Clock, type Ed25519, type KeyResolver, type PublicKeyBytes } from '@mesh30k/shared';
import type { Bus } from '../nats/bus.js';
import { isBusError } from '../nats/errors.js';

export interface LeadDiscoveryDeps {
  bus: Bus;
  ed25519: Ed25519;
  /** The mesh roots this agent trusts (trust_roots). */
  roots: readonly PublicKeyBytes[];
  leadId: string;
  /** Wall clock for the enrollment's validity period and the re-ask rate limit. */
  clock: Clock;
  timeoutMs: number;
  /** Least time between two questions prompted by an unknown key; default REDISCOVER_MS. */
  rediscoverMs?: number;
}

export type DiscoveryResult = { ok: true; learnt: boolean } | { ok: false; code: string; message: string };

/** Default least time between re-asks prompted by frames no known key verifies. */
export const REDISCOVER_MS = 5_000;
/** Keys kept per lead (the leads of an HA group, newest first); the oldest goes beyond. */
export const MAX_LEAD_KEYS = 4;

const decoder = new TextDecoder();

interface LearntKey {
  readonly key: PublicKeyBytes;
  readonly text: string;
  readonly expiresAt: number;
}

export class LeadDiscovery {
  /** Newest first. */
  private keys: LearntKey[] = [];
  private doubtedAt: number | undefined;
  private askedAt = Number.NEGATIVE_INFINITY;
  private asking: Promise<DiscoveryResult> | undefined;

  constructor(private readonly deps: LeadDiscoveryDeps) {}

  /** For verifyAndParse: the unexpired learnt keys of the lead id (newest first), or UNKNOWN_SIGNER. */
  readonly resolve: KeyResolver = (signerId) => {
    if (signerId !== this.deps.leadId) return err({ code: 'UNKNOWN_SIGNER', message: `"${signerId}" is not this agent's lead` });
    const now = this.deps.clock.now();
    const valid = this.keys.filter((entry) => now < entry.expiresAt).map((entry) => entry.key);
    if (valid.length === 0) return err({ code: 'UNKNOWN_SIGNER', message: 'the lead\'s key is not known yet (no announcement verified)' });
    return ok(valid);
  };

  get known(): boolean {
    const now = this.deps.clock.now();
    return this.keys.some((entry) => now < entry.expiresAt);
  }

  /** Keys learnt so far (base64url), newest first. */
  get keyTexts(): string[] {
    return this.keys.map((entry) => entry.text);
  }

  /**
   * A frame signed in the lead's name did not verify with the keys known (a new lead took
   * over): ask again, in the background, unless asked within the last `rediscoverMs`.
   */
  doubt(): void {
    this.doubtedAt = this.deps.clock.now();
    void this.ensure();
  }

  /** Asks the lead for its enrollment unless a valid one is known and none is doubted; never throws. */
  ensure(): Promise<DiscoveryResult> {
    if (this.asking !== undefined) return this.asking;
    if (this.known && !this.dueAgain()) return Promise.resolve({ ok: true, learnt: false });
    this.askedAt = this.deps.clock.now();
    this.doubtedAt = undefined;
    this.asking = this.ask().finally(() => {
      this.asking = undefined;
    });
    return this.asking;
  }

  /** A lead enrollment that arrived unasked (subjects.leadKey, published at a takeover): checked as an answer is. */
  async offer(data: Uint8Array): Promise<DiscoveryResult> {
    return this.accept(data);
  }

  /** Listens on subjects.leadKey for the enrollment a lead publishes when it takes the lease. */
  listen(onResult: (result: DiscoveryResult) => void): () => void {
    return this.deps.bus.subscribe(subjects.leadKey(this.deps.leadId), (message) => {
      void this.offer(message.data).then(onResult);
    });
  }

  private dueAgain(): boolean {
    if (this.doubtedAt === undefined) return false;
    return this.deps.clock.now() - this.askedAt >= (this.deps.rediscoverMs ?? REDISCOVER_MS);
  }

  private async ask(): Promise<DiscoveryResult> {
    let reply;
    try {
      reply = await this.deps.bus.request(subjects.announce(this.deps.leadId), new Uint8Array(), { timeoutMs: this.deps.timeoutMs });
    } catch (error) {
      if (isBusError(error)) return { ok: false, code: error.code, message: `no announcement from lead "${this.deps.leadId}" (${error.message})` };
      throw error;
    }
    return this.accept(reply.data);
  }

  private async accept(data: Uint8Array): Promise<DiscoveryResult> {
    let raw: unknown;
    try {
      raw = JSON.parse(decoder.decode(data));
    } catch {
      return { ok: false, code: 'MALFORMED_JSON', message: 'the lead announcement is not JSON' };
    }
    const verified = await verifyEnrollment(this.deps.ed25519, this.deps.roots, raw, this.deps.clock);
    if (!verified.ok) return { ok: false, code: verified.error.code, message: `lead announcement refused: ${verified.error.message}` };
    const { record, publicKey } = verified.value;
    if (record.role !== 'lead' || record.agent_id !== this.deps.leadId) {
      return { ok: false, code: 'NOT_ENROLLED', message: `the announcement enrolls "${record.agent_id}" as ${record.role}, not lead "${this.deps.leadId}"` };
    }
    const known = this.keys.find((entry) => entry.text === record.public_key);
    const rest = this.keys.filter((entry) => entry.text !== record.public_key);
    this.keys = [{ key: publicKey, text: record.public_key, expiresAt: record.expires_at }, ...rest].slice(0, MAX_LEAD_KEYS);
    return { ok: true, learnt: known === undefined || known.expiresAt !== record.expires_at };
  }
}
