/**
 * An edge agent (a Cloudflare Worker): a class-A agent the lead dials over HTTPS instead of
 * hearing from over NATS. The operator registers it; the lead probes it and sends it
 * COORDINATEs at its URL.
 */
import { Capabilities, Id, PublicKeyText, fromBase64Url, type PublicKeyBytes } from '@mesh30k/shared';
import { z } from 'zod';

export const EdgeAgentInput = z
  .object({
    agent_id: Id,
    /** Base URL of the Worker (route or workers.dev hostname); /v1/... is appended. */
    url: z.url({ protocol: /^https?$/ }),
    class: z.literal('A').default('A'),
    capabilities: Capabilities,
    cluster_id: Id,
    /** The Worker's Ed25519 public key (the one matching AGENT_PRIVATE_KEY), base64url. */
    public_key: PublicKeyText,
  })
  .strict();

export type EdgeAgentInput = z.input<typeof EdgeAgentInput>;
export type EdgeAgentRecord = z.output<typeof EdgeAgentInput>;

/** A registered edge agent with its key decoded once. */
export interface EdgeAgent extends EdgeAgentRecord {
  readonly publicKeyBytes: PublicKeyBytes;
  /** Lead clock when it was registered. */
  readonly registeredAt: number;
}

export function toEdgeAgent(record: EdgeAgentRecord, registeredAt: number): EdgeAgent {
  return Object.freeze({ ...record, url: record.url.replace(/\/+$/, ''), publicKeyBytes: fromBase64Url(record.public_key), registeredAt });
}

/** The URL of one of the Worker's routes. */
export function edgeUrl(agent: Pick<EdgeAgent, 'url'>, path: '/v1/ping' | '/v1/coordinate' | '/v1/health'): string {
  return `${agent.url}${path}`;
}
