import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publicKeyText } from '@mesh30k/shared';
import { saveKeyPair } from '@mesh30k/shared/node';
import type { TestMesh } from './fixtures.js';
import { agentIdentity } from './fixtures.js';

/**
 * Writes a key pair, a config file and enrolls the agent, as an operator would provision a Pi.
 * Returns the config path. Timings are test-sized.
 */
export async function provisionDaemon(options: { mesh: TestMesh; dir: string; agentId: string; natsUrl: string; extra?: Record<string, unknown> }): Promise<string> {
  await mkdir(options.dir, { recursive: true });
  const identity = await agentIdentity(options.agentId);
  const keyPath = join(options.dir, 'agent.key');
  await saveKeyPair(keyPath, identity.keyPair);
  await options.mesh.enroll([identity.subject]);
  const config = {
    agent_id: options.agentId,
    cluster_id: 'cluster-1',
    sector_id: 'sector-1',
    lead_id: options.mesh.leadId,
    lead_public_key: publicKeyText(options.mesh.lead.publicKey),
    capabilities: identity.subject.capabilities,
    nats: { servers: [options.natsUrl], ping_interval_ms: 1_000 },
    key_path: keyPath,
    data_dir: join(options.dir, 'data'),
    heartbeat_interval_ms: 300,
    status: { host: '127.0.0.1', port: 0 },
    health: { interval_ms: 60_000 },
    log_level: 'info',
    ...options.extra,
  };
  const path = join(options.dir, 'agent.json');
  await writeFile(path, JSON.stringify(config, null, 2));
  return path;
}
