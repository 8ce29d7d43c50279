// A three-node JetStream cluster, real agent daemons (`mesh-agent run`, SQLite outboxes) and
// `mesh-lead run` processes of one HA group with store.backend jetstream, each serving the
// signed operator API: what the failover tests of jobs in flight share.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyFile } from '@mesh30k/shared/node';
import type { LeadApi } from '../../../../../test/harness/index.js';
import { AGENT_BIN, freePort, makeTempDir, startNatsCluster, waitFor, type NatsCluster, type TempDir } from '../../../../../test/harness/index.js';
import { createMeshOperator, operatorApi, operatorApiConfig, spawnNode, stopProc, type MeshOperator, type Proc } from '../../../../../test/harness/local-mesh.js';
import { provisionMeshDaemon, type MeshDaemonFiles } from '../../../../../test/harness/mesh-daemon.js';
import { createTestRoot } from '../../support/test-agents.js';
import { HA_CLUSTER_ID, HA_LEAD_ID, killLead, startHaLead, type HaGroup, type LeadProc } from './ha-leads.js';

export interface OpsMeshOptions {
  readonly daemons: number;
  readonly heartbeatMs: number;
  readonly tempPrefix: string;
}

/** One lead of the group: lease `leaseKey`, streams and buckets under `prefix`. */
export interface OpsLeadOptions {
  readonly leaseKey: string;
  readonly prefix: string;
  readonly ttlMs: number;
  /** The `scatter` config section (resume_grace_ms, ...). */
  readonly scatter?: Record<string, unknown>;
}

export interface OpsLead {
  readonly lead: LeadProc;
  readonly api: LeadApi;
}

export interface DaemonProc {
  readonly files: MeshDaemonFiles;
  readonly proc: Proc;
}

export interface OpsMesh {
  readonly cluster: NatsCluster;
  readonly dir: TempDir;
  readonly group: HaGroup;
  readonly daemons: readonly DaemonProc[];
  startLead(name: string, options: OpsLeadOptions): Promise<OpsLead>;
  /** The first line of the daemon's log so far (spawnNode writes `<agentId>.log`) that `match` accepts. */
  daemonLine(agentId: string, match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown> | undefined>;
  /** Waits for such a line. */
  daemonLogged(agentId: string, what: string, match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  /** Kills every lead started so far (SIGKILL). */
  killLeads(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startOpsMesh({ daemons: count, heartbeatMs, tempPrefix }: OpsMeshOptions): Promise<OpsMesh> {
  const cluster = await startNatsCluster();
  const dir = await makeTempDir(tempPrefix);
  const root = await createTestRoot();
  const leadKeys = await generateKeyFile(join(dir.path, 'lead.key'));
  const operator: MeshOperator = await createMeshOperator(dir.path);
  const enrollDir = join(dir.path, 'enrollments');
  await mkdir(enrollDir, { recursive: true });
  // startHaLead reads the group's identity; its test agent is not used here.
  const group: HaGroup = { dir: dir.path, servers: cluster.urls, root, agent: undefined as never, leadKeys: [leadKeys.publicKey] };
  const daemons: DaemonProc[] = [];
  for (let d = 0; d < count; d++) {
    const files = await provisionMeshDaemon({
      agentId: `pi-${d}`, dir: join(dir.path, `pi-${d}`), root: root.keys, leadId: HA_LEAD_ID, leadPublicKey: leadKeys.publicKey, clusterId: HA_CLUSTER_ID,
      capabilities: ['sensor.read'], natsUrl: cluster.urls[d % cluster.urls.length]!, heartbeatMs, logLevel: 'info', enrollDir,
    });
    daemons.push({ files, proc: spawnNode(dir.path, `pi-${d}`, [AGENT_BIN, 'run', '--config', files.configPath]) });
  }
  const leads: LeadProc[] = [];
  const daemonLine = async (agentId: string, match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown> | undefined> => {
    const text = await readFile(join(dir.path, `${agentId}.log`), 'utf8');
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (match(parsed)) return parsed;
      } catch {
        // a line still being written
      }
    }
    return undefined;
  };

  return {
    cluster,
    dir,
    group,
    daemons,
    async startLead(name, { leaseKey, prefix, ttlMs, scatter = {} }) {
      const port = await freePort();
      const lead = await startHaLead(group, name, { enabled: true, lease_key: leaseKey, ttl_ms: ttlMs, replicas: 3 }, {}, {
        http: { host: '127.0.0.1', port, allow_plain_http: true },
        api: operatorApiConfig(operator),
        trust: { root_public_keys: [root.publicKeyText], enrollments: enrollDir },
        store: { backend: 'jetstream', jetstream: { replicas: 3, prefix } },
        heartbeat: { interval_ms: heartbeatMs },
        scatter,
        breakers: { metrics_only: true },
        // Loopback latencies swing with the machine's load (as in startLocalMesh).
        thresholds: { unstable_drift: 5, spike_factor: 10 },
      });
      leads.push(lead);
      return { lead, api: operatorApi(`http://127.0.0.1:${port}`, operator) };
    },
    daemonLine,
    daemonLogged(agentId, what, match, timeoutMs) {
      return waitFor(`${agentId} to log ${what}`, timeoutMs, () => daemonLine(agentId, match));
    },
    async killLeads() {
      await Promise.all(leads.splice(0).map(killLead));
    },
    async dispose() {
      await Promise.all(leads.splice(0).map(killLead));
      await Promise.all(daemons.map((d) => stopProc(d.proc)));
      await cluster.dispose();
      await dir.dispose();
    },
  };
}

/** Resolves once `api`'s lead counts every daemon active. */
export function allActive(api: LeadApi, daemons: number, timeoutMs: number): Promise<true> {
  return waitFor(`all ${daemons} daemons active`, timeoutMs, async () => {
    const status = await api.getOk<{ agents?: { by_state: Record<string, number> } }>('/v1/status');
    return status?.agents?.by_state.active === daemons ? true : undefined;
  });
}
