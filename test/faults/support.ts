/**
 * What the fault tests stand on: a real lead (in process, on the real clock, real NATS and
 * SQLite) and real agents built as the daemon builds them, enrolled by the lead's test root.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pinnedKeyResolver } from '../../packages/pi-daemon/src/agent/lead-keys.js';
import type { TestMesh } from '../../packages/pi-daemon/test/support/fixtures.js';
import { startRealAgent, type RealAgent } from '../../packages/pi-daemon/test/support/real-agent.js';
import { systemClock } from '../../packages/cluster-lead/src/lib/system-clock.js';
import { LeadFixture } from '../../packages/cluster-lead/test/support/lead-fixture.js';
import { enroll } from '../../packages/cluster-lead/test/support/test-agents.js';
import type { AgentTuning } from '../../packages/pi-daemon/src/agent/options.js';
import type { HeartbeatAuth } from '../../packages/pi-daemon/src/heartbeat/index.js';

/** A lead on the real clock: real agents stamp mesh time that the lead's replay window accepts. */
export function startRealClockLead(natsUrl: string, config: Record<string, unknown> = {}): Promise<LeadFixture> {
  return LeadFixture.start({ natsUrl, overrides: { clock: systemClock }, config });
}

/** A daemon-built agent (SQLite outbox in `dataDir`) enrolled with the fixture lead. */
export async function startEnrolledAgent(fx: LeadFixture, natsUrl: string, agentId: string, dataDir: string, tuning: Partial<AgentTuning> = {}, heartbeatAuth?: HeartbeatAuth): Promise<RealAgent> {
  const mesh = {
    leadId: fx.config.lead_id,
    leadKeys: pinnedKeyResolver(new Map([[fx.config.lead_id, fx.leadPublicKey]])),
    async enroll(subjects) {
      for (const subject of subjects) {
        const record = await enroll(fx.root, { ...subject, capabilities: [...subject.capabilities], clusterId: fx.config.cluster_id, issuedAt: Date.now() - 60_000 });
        await writeFile(join(fx.dir.path, 'enrollments', `${subject.agentId}.json`), JSON.stringify(record));
      }
      await fx.lead.reloadEnrollments();
      return { enrollments: [] } as unknown as Awaited<ReturnType<TestMesh['enroll']>>;
    },
  } as Pick<TestMesh, 'leadId' | 'leadKeys' | 'enroll'> as TestMesh;
  return startRealAgent({ mesh, natsUrl, agentId, dataDir, tuning, ...(heartbeatAuth === undefined ? {} : { heartbeatAuth }) });
}
