/**
 * Test-only: signed heartbeat frames from a generated agent key, a trust store holding its
 * enrollment (signed by a generated root), and the key resolver the lead would use.
 */
import { ManualClock, TrustStore, issueEnrollment, keyId, publicKeyText, verifyEnrollment, encodeMessage, type Heartbeat, type SignedFrame } from '@mesh30k/shared';
import { nodeEd25519, type NodeSigner } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import { trustedKeyResolver } from '../trust/index.js';

export const T0 = 1_800_000_000_000;

export interface SignedAgent {
  agentId: string;
  publicKey: Uint8Array;
  signer: NodeSigner;
  frame(overrides?: Partial<Heartbeat>): Promise<SignedFrame>;
}

export interface TrustFixture {
  clock: ManualClock;
  trust: TrustStore;
  resolveKey: ReturnType<typeof trustedKeyResolver>;
  agent(agentId: string, options?: { enrolled?: boolean }): Promise<SignedAgent>;
}

export async function trustFixture(): Promise<TrustFixture> {
  const clock = new ManualClock(T0);
  const trust = new TrustStore({ clock });
  const root = await nodeEd25519.generateKeyPair();
  const rootSigner = nodeEd25519.signerSync(root.privateKey);
  const rootId = await keyId(root.publicKey);
  return {
    clock,
    trust,
    resolveKey: trustedKeyResolver(trust),
    async agent(agentId, options = {}) {
      const keys = await nodeEd25519.generateKeyPair();
      const signer = nodeEd25519.signerSync(keys.privateKey);
      if (options.enrolled ?? true) {
        const signed = await issueEnrollment(rootSigner, {
          v: 1,
          agent_id: agentId,
          public_key: publicKeyText(keys.publicKey),
          role: 'agent',
          class: 'E',
          capabilities: ['sensor.read', 'gpio'],
          cluster_id: 'cluster-1',
          issued_at: T0 - 1_000,
          expires_at: T0 + 1e10,
          issuer_key_id: rootId,
        });
        if (!signed.ok) throw signed.error;
        const verified = await verifyEnrollment(nodeEd25519, [root.publicKey], signed.value, clock);
        if (!verified.ok) throw verified.error;
        trust.add(verified.value);
      }
      return {
        agentId,
        publicKey: keys.publicKey,
        signer,
        frame: (overrides = {}) => encodeMessage(sampleMessage('HEARTBEAT', { sender: agentId, at: clock.now(), overrides: { t1: clock.now(), ...overrides } }), signer, agentId),
      };
    },
  };
}
