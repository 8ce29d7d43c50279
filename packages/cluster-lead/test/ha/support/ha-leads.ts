// `mesh-lead run` processes of one HA group, for HA tests, the `--ha` demo and bench:failover:
// configs, log lines, and a test agent's heartbeats to tell when a lead serves. The leads share
// one key file, or (`ownKeys`) each has its own key pair, enrolled by the group's root as role
// `lead` for the same lead id (trust.lead_enrollment), as deploy/ha sets them up.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateKeyFile } from '@mesh30k/shared/node';
import type { SignedRecord } from '@mesh30k/shared';
import { waitFor } from '../../../../../test/harness/index.js';
import { TestAgent, createTestRoot, enroll, type TestRoot } from '../../support/test-agents.js';

const BIN = new URL('../../../bin/mesh-lead.js', import.meta.url).pathname;
export const HA_LEAD_ID = 'lead-ha';
export const HA_CLUSTER_ID = 'cluster-ha';

export interface LeadProc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** The group's lead identity (or identities), and an enrolled agent to heartbeat with. */
export interface HaGroup {
  readonly dir: string;
  readonly servers: readonly string[];
  readonly root: TestRoot;
  readonly agent: TestAgent;
  /** Each lead its own key (`<name>.key`, `<name>.lead-enrollment.json`); else all share `lead.key`. */
  readonly ownKeys?: boolean;
  /** The public keys of the group's leads so far (the test agent trusts each); grows as leads start with ownKeys. */
  readonly leadKeys: Uint8Array[];
}

export async function makeHaGroup(dir: string, servers: readonly string[], options: { ownKeys?: boolean } = {}): Promise<HaGroup> {
  const root = await createTestRoot();
  const leadKeys: Uint8Array[] = [];
  if (options.ownKeys !== true) leadKeys.push((await generateKeyFile(join(dir, 'lead.key'))).publicKey);
  const agent = await TestAgent.create({ agentId: 'pi-ha', leadId: HA_LEAD_ID, leadPublicKey: leadKeys, root, clusterId: HA_CLUSTER_ID, clock: { now: () => Date.now() } });
  await writeFile(join(dir, 'enrollments.json'), JSON.stringify([agent.enrollment]));
  await agent.connect(servers[0]!);
  return { dir, servers, root, agent, leadKeys, ...(options.ownKeys === true ? { ownKeys: true } : {}) };
}

/** A lead's own key file and its root-signed enrollment (role lead, the group's lead id). */
export async function leadIdentity(group: Pick<HaGroup, 'dir' | 'root'>, name: string): Promise<{ keyPath: string; enrollmentPath: string; publicKey: Uint8Array; enrollment: SignedRecord }> {
  const keyPath = join(group.dir, `${name}.key`);
  const enrollmentPath = join(group.dir, `${name}.lead-enrollment.json`);
  const { publicKey } = await generateKeyFile(keyPath);
  const enrollment = await enroll(group.root, { agentId: HA_LEAD_ID, publicKey, role: 'lead', agentClass: 'A', capabilities: [], clusterId: HA_CLUSTER_ID, issuedAt: Date.now() - 1_000 });
  await writeFile(enrollmentPath, JSON.stringify(enrollment));
  return { keyPath, enrollmentPath, publicKey, enrollment };
}

/** One lead process: its own data dir and HTTP port, the group's identity; `ha` absent means a single SQLite lead. */
export async function startHaLead(
  group: HaGroup,
  name: string,
  ha: Record<string, unknown> | undefined,
  env: Record<string, string> = {},
  /** More config sections (store, api), merged over the defaults above section by section. */
  extra: Record<string, Record<string, unknown>> = {},
): Promise<LeadProc> {
  let keyPath = join(group.dir, 'lead.key');
  let leadEnrollment: { lead_enrollment: string } | object = {};
  if (group.ownKeys === true) {
    const own = await leadIdentity(group, name);
    group.leadKeys.push(own.publicKey);
    keyPath = own.keyPath;
    leadEnrollment = { lead_enrollment: own.enrollmentPath };
  }
  const config = {
    lead_id: HA_LEAD_ID,
    cluster_id: HA_CLUSTER_ID,
    nats: { servers: group.servers, reconnect_wait_ms: 100 },
    key_path: keyPath,
    trust: { root_public_keys: [group.root.publicKeyText], enrollments: join(group.dir, 'enrollments.json'), ...leadEnrollment },
    data_dir: join(group.dir, `data-${name}`),
    http: { host: '127.0.0.1', port: 0, allow_plain_http: true },
    ingest: { verify_threads: 0 },
    ...(ha === undefined ? {} : { ha }),
  };
  for (const [section, values] of Object.entries(extra)) {
    const base = (config as Record<string, unknown>)[section];
    (config as Record<string, unknown>)[section] = typeof base === 'object' && base !== null ? { ...base, ...values } : values;
  }
  const file = join(group.dir, `${name}.json`);
  await writeFile(file, JSON.stringify(config));
  const child = spawn(process.execPath, [BIN, 'run', '--config', file], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  });
  return { name, child, lines, exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]> };
}

export function logged(lead: LeadProc, message: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return waitFor(`${lead.name} to log "${message}"`, timeoutMs, () => {
    if (lead.child.exitCode !== null) throw new Error(`${lead.name} exited ${lead.child.exitCode} before logging "${message}"`);
    return lead.lines.find((line) => line.msg === message);
  });
}

/** Heartbeats until one is accepted (with no lead subscribed, NATS answers "no responders" at once); resolves with Date.now() then. */
export function accepted(agent: TestAgent, timeoutMs: number): Promise<number> {
  return waitFor('an accepted heartbeat', timeoutMs, async () => {
    try {
      const { reply } = await agent.heartbeat();
      return reply.accepted ? Date.now() : undefined;
    } catch {
      return undefined;
    }
  });
}

export async function killLead(lead: LeadProc): Promise<void> {
  if (lead.child.exitCode === null && lead.child.signalCode === null) lead.child.kill('SIGKILL');
  await lead.exited;
}
