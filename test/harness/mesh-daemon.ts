// One real agent daemon (`mesh-agent run`) for a local mesh, provisioned as an operator would a
// Pi: its own key pair, an enrollment signed by the mesh root, a config file and a data
// directory that holds its SQLite outbox across restarts.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROTOCOL_VERSION, issueEnrollment, keyId, publicKeyText, type KeyPair, type PublicKeyBytes } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';

const YEAR_MS = 365 * 86_400_000;

export interface MeshDaemonPlan {
  agentId: string;
  dir: string;
  root: KeyPair;
  leadId: string;
  /** Pinned as lead_public_key; `trust_roots` (the mesh root) instead: the agent learns its lead's keys from their root-signed enrollments. */
  leadPublicKey: PublicKeyBytes | 'trust_roots';
  clusterId: string;
  capabilities: readonly string[];
  natsUrl: string;
  heartbeatMs: number;
  logLevel: string;
  /** The lead's enrollment directory: the signed record is written there as `<agentId>.json`. */
  enrollDir: string;
  /** The agent config's `sensors` section (docs/sensors.md), when the daemon should read any. */
  sensors?: unknown;
}

/** What a provisioned daemon is: run it with `mesh-agent run --config <configPath>`. */
export interface MeshDaemonFiles {
  agentId: string;
  configPath: string;
  /** Holds the agent's SQLite outbox and state; kept when the process is killed. */
  dataDir: string;
}

export async function provisionMeshDaemon(plan: MeshDaemonPlan): Promise<MeshDaemonFiles> {
  await mkdir(plan.dir, { recursive: true });
  const keyPath = join(plan.dir, 'agent.key');
  const keys = await generateKeyFile(keyPath);
  const now = Date.now();
  const signed = await issueEnrollment(nodeEd25519.signerSync(plan.root.privateKey), {
    v: PROTOCOL_VERSION,
    agent_id: plan.agentId,
    public_key: publicKeyText(keys.publicKey),
    role: 'agent',
    class: 'E',
    capabilities: [...plan.capabilities],
    cluster_id: plan.clusterId,
    issued_at: now - 1_000,
    expires_at: now + YEAR_MS,
    issuer_key_id: await keyId(plan.root.publicKey),
  });
  if (!signed.ok) throw signed.error;
  await writeFile(join(plan.enrollDir, `${plan.agentId}.json`), JSON.stringify([signed.value]));
  const dataDir = join(plan.dir, 'data');
  const config = {
    agent_id: plan.agentId,
    cluster_id: plan.clusterId,
    lead_id: plan.leadId,
    ...(plan.leadPublicKey === 'trust_roots' ? { trust_roots: [publicKeyText(plan.root.publicKey)] } : { lead_public_key: publicKeyText(plan.leadPublicKey) }),
    capabilities: [...plan.capabilities],
    nats: { servers: [plan.natsUrl], ping_interval_ms: 1_000 },
    key_path: keyPath,
    data_dir: dataDir,
    heartbeat_interval_ms: plan.heartbeatMs,
    status: { host: '127.0.0.1', port: 0 },
    log_level: plan.logLevel,
    ...(plan.sensors === undefined ? {} : { sensors: plan.sensors }),
  };
  const configPath = join(plan.dir, 'agent.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  return { agentId: plan.agentId, configPath, dataDir };
}
