import { makeTempDir, startNats, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
import { createTestMesh, type TestMesh } from './fixtures.js';
import { MinimalLead } from './minimal-lead.js';

/** What most integration tests stand on: a private nats-server, a temp dir, keys, and a minimal lead. */
export interface LeadRig {
  nats: NatsServer;
  dir: TempDir;
  mesh: TestMesh;
  lead: MinimalLead;
  close(): Promise<void>;
}

export async function startLeadRig(): Promise<LeadRig> {
  const nats = await startNats();
  const dir = await makeTempDir();
  const mesh = await createTestMesh();
  const lead = await MinimalLead.start({ natsUrl: nats.url, leadId: mesh.leadId, keyPair: mesh.lead, trust: mesh.trust });
  return {
    nats,
    dir,
    mesh,
    lead,
    async close() {
      await lead.close();
      await nats.dispose();
      await dir.dispose();
    },
  };
}
