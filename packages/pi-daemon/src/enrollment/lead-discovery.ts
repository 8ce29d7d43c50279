/**
 * The lead's key for an agent that pins only the mesh root (trust_roots, no lead_public_key):
 * asked for on subjects.announce, answered with the lead's enrollment signed by a mesh root.
 * Accepted only for role `lead` and this agent's lead id; until then nothing the lead signs
 * verifies, so the agent cannot be talked into anything by a stranger.
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
  /** Wall clock for the enrollment's validity period. */
  clock: Clock;
  timeoutMs: number;
}

export type DiscoveryResult = { ok: true; learnt: boolean } | { ok: false; code: string; message: string };

const decoder = new TextDecoder();

export class LeadDiscovery {
  private key: PublicKeyBytes | undefined;
  private expiresAt = 0;

  constructor(private readonly deps: LeadDiscoveryDeps) {}

  /** For verifyAndParse: the learnt key for the lead id, or UNKNOWN_SIGNER. */
  readonly resolve: KeyResolver = (signerId) => {
    if (signerId !== this.deps.leadId) return err({ code: 'UNKNOWN_SIGNER', message: `"${signerId}" is not this agent's lead` });
    if (this.key === undefined) return err({ code: 'UNKNOWN_SIGNER', message: 'the lead\'s key is not known yet (no announcement verified)' });
    return ok(this.key);
  };

  get known(): boolean {
    return this.key !== undefined && this.deps.clock.now() < this.expiresAt;
  }

  /** Asks the lead for its enrollment unless a valid one is known; never throws. */
  async ensure(): Promise<DiscoveryResult> {
    if (this.known) return { ok: true, learnt: false };
    let reply;
    try {
      reply = await this.deps.bus.request(subjects.announce(this.deps.leadId), new Uint8Array(), { timeoutMs: this.deps.timeoutMs });
    } catch (error) {
      if (isBusError(error)) return { ok: false, code: error.code, message: `no announcement from lead "${this.deps.leadId}" (${error.message})` };
      throw error;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(decoder.decode(reply.data));
    } catch {
      return { ok: false, code: 'MALFORMED_JSON', message: 'the lead announcement is not JSON' };
    }
    const verified = await verifyEnrollment(this.deps.ed25519, this.deps.roots, raw, this.deps.clock);
    if (!verified.ok) return { ok: false, code: verified.error.code, message: `lead announcement refused: ${verified.error.message}` };
    const { record, publicKey } = verified.value;
    if (record.role !== 'lead' || record.agent_id !== this.deps.leadId) {
      return { ok: false, code: 'NOT_ENROLLED', message: `the announcement enrolls "${record.agent_id}" as ${record.role}, not lead "${this.deps.leadId}"` };
    }
    this.key = publicKey;
    this.expiresAt = record.expires_at;
    return { ok: true, learnt: true };
  }
}
