// A lead with config `ha` started while its NATS cluster cannot serve JetStream (two of three
// nodes down: no meta leader, so no lease bucket) stands by, retries on a timer, and becomes
// active once the cluster has formed again, on the same connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNatsCluster, waitFor, type NatsCluster, type TempDir } from '../../../../test/harness/index.js';
import { INTAKE_OPEN_MESSAGE } from '../../src/main.js';
import { HA_EVENTS } from '../../src/wiring/ha.js';
import { accepted, killLead, logged, makeHaGroup, startHaLead, type HaGroup, type LeadProc } from './support/ha-leads.js';

const START_MS = 30_000;

let cluster: NatsCluster;
let dir: TempDir;
let group: HaGroup;
let lead: LeadProc | undefined;

beforeAll(async () => {
  cluster = await startNatsCluster();
  dir = await makeTempDir('mesh30k-ha-open-');
  // Lead and agent on the node that stays up; the other two are where the quorum goes.
  group = await makeHaGroup(dir.path, [cluster.urls[0]!]);
});

afterAll(async () => {
  if (lead !== undefined) await killLead(lead);
  await group?.agent.close();
  await cluster?.dispose();
  await dir?.dispose();
});

describe('a lead started before its NATS cluster can serve the lease bucket', () => {
  it('stands by, retries on a timer, and becomes active once the cluster has formed', async () => {
    await Promise.all([cluster.nodes[1]!.kill(), cluster.nodes[2]!.kill()]);
    lead = await startHaLead(group, 'early', { enabled: true, lease_key: 'early', ttl_ms: 2_000, replicas: 3 });
    const failed = await waitForLine(lead, (line) => line.event === HA_EVENTS.leaseOpenFailed, 4 * START_MS);
    expect(failed).toMatchObject({ attempt: 1 });
    expect(typeof failed.retry_in_ms).toBe('number');
    expect(lead.lines.some((line) => line.msg === INTAKE_OPEN_MESSAGE)).toBe(false);

    await Promise.all([cluster.nodes[1]!.restart(), cluster.nodes[2]!.restart()]);
    const opened = await waitForLine(lead, (line) => line.event === HA_EVENTS.leaseOpened, 4 * START_MS);
    expect(opened.failed_attempts as number).toBeGreaterThanOrEqual(1);
    await logged(lead, 'lease acquired', START_MS);
    await logged(lead, INTAKE_OPEN_MESSAGE, START_MS);
    await accepted(group.agent, START_MS);
  });
});

function waitForLine(target: LeadProc, match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
  return waitFor('a log line', timeoutMs, () => {
    if (target.child.exitCode !== null) throw new Error(`${target.name} exited ${target.child.exitCode}`);
    return target.lines.find(match);
  });
}
