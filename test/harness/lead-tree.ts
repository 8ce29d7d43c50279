// A two-level mesh on this machine: a root lead, child leads registered with it as children of
// kind `lead` (an enrollment with role `lead` in the root's trust, `parent` in the child's
// config), the sims and Workers split over the children. startLocalMesh calls this when
// `leadsBelowRoot` is above 0; everything else about processes is local-mesh's.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROTOCOL_VERSION, issueEnrollment, keyId, publicKeyText, toBase64Url, type KeyPair } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';
import { startEdgeWorker, type EdgeHost } from '../bench/edge-host.js';
import { runCascade } from './cascade-run.js';
import { onProcessExit } from './exit-cleanup.js';
import { simLink } from './sim-link.js';
import { AGENT_BIN, LEAD_BIN, MeshParts, createMeshOperator, isAlive, operatorApi, operatorApiConfig, spawnNode, waitFor, type LeadHandle, type LinkProfiles, type LocalMesh, type LocalMeshOptions, type MeshOperator, type MeshStopOptions } from './local-mesh.js';
import { freePort } from './ports.js';
import { makeTempDir } from './temp.js';

const ROOT_ID = 'lead-root';
const CAPABILITIES = ['sensor.read'];
const YEAR_MS = 365 * 86_400_000;
/** Children report (and exchange clocks with the root) this often: a cascade needs one exchange. */
const SUMMARY_INTERVAL_MS = 1_000;
/** As local-mesh: loopback latencies swing with this shared machine's load. */
const LOOPBACK_THRESHOLDS = { unstable_drift: 5, spike_factor: 10 };

interface LeadPlan {
  readonly leadId: string;
  readonly clusterId: string;
  readonly sectorId: string | undefined;
  readonly dir: string;
  readonly keys: KeyPair;
  readonly port: number;
  readonly agentIds: string[];
}

async function planLead(dir: string, leadId: string, clusterId: string, sectorId: string | undefined): Promise<LeadPlan> {
  const base = join(dir, leadId);
  await mkdir(join(base, 'enrollments'), { recursive: true });
  await mkdir(join(base, 'data'));
  const keys = await generateKeyFile(join(base, 'lead.key'));
  return { leadId, clusterId, sectorId, dir: base, keys, port: await freePort(), agentIds: [] };
}

/** The root's trust in a child lead: an enrollment with role `lead`, signed by the mesh root. */
async function enrollChildLead(root: KeyPair, parent: LeadPlan, child: LeadPlan): Promise<void> {
  const now = Date.now();
  const signed = await issueEnrollment(nodeEd25519.signerSync(root.privateKey), {
    v: PROTOCOL_VERSION,
    agent_id: child.leadId,
    public_key: publicKeyText(child.keys.publicKey),
    role: 'lead',
    class: 'A',
    capabilities: CAPABILITIES,
    cluster_id: child.clusterId,
    ...(child.sectorId === undefined ? {} : { sector_id: child.sectorId }),
    issued_at: now - 1_000,
    expires_at: now + YEAR_MS,
    issuer_key_id: await keyId(root.publicKey),
  });
  if (!signed.ok) throw signed.error;
  await writeFile(join(parent.dir, 'enrollments', `${child.leadId}.json`), JSON.stringify([signed.value]));
}

/** Sections of `extra` are merged into the base's sections of the same name. */
function mergeSections(base: Record<string, unknown>, extra: Record<string, Record<string, unknown>> = {}): Record<string, unknown> {
  const merged = { ...base };
  for (const [key, section] of Object.entries(extra)) {
    const current = merged[key];
    merged[key] = typeof current === 'object' && current !== null ? { ...current, ...section } : section;
  }
  return merged;
}

function leadConfig(plan: LeadPlan, natsUrl: string, rootPublicKey: string, heartbeatMs: number, parent: LeadPlan | undefined, operator: MeshOperator, extra: LocalMeshOptions['leadConfig']): Record<string, unknown> {
  return mergeSections(
    {
      lead_id: plan.leadId,
      cluster_id: plan.clusterId,
      ...(plan.sectorId === undefined ? {} : { sector_id: plan.sectorId }),
      ...(parent === undefined ? {} : { parent: { lead_id: parent.leadId, public_key: publicKeyText(parent.keys.publicKey) } }),
      nats: { servers: [natsUrl] },
      key_path: join(plan.dir, 'lead.key'),
      trust: { root_public_keys: [rootPublicKey], enrollments: join(plan.dir, 'enrollments') },
      data_dir: join(plan.dir, 'data'),
      http: { host: '127.0.0.1', port: plan.port, allow_plain_http: true },
      api: operatorApiConfig(operator),
      heartbeat: { interval_ms: heartbeatMs },
      ingest: { verify_threads: 1 },
      thresholds: LOOPBACK_THRESHOLDS,
      cascade: { summary_interval_ms: SUMMARY_INTERVAL_MS },
      log: { level: 'warn' },
    },
    extra,
  );
}

interface StartedWorker {
  readonly child: LeadPlan;
  readonly registration: { agent_id: string; url: string; capabilities: string[]; cluster_id: string; public_key: string };
}

/** Workers in workerd, round-robin over the children, each trusting its own child lead's key. */
async function startWorkers(count: number, children: readonly LeadPlan[], hosts: EdgeHost[], pids: number[], progress: (step: string) => void): Promise<StartedWorker[]> {
  const started: StartedWorker[] = [];
  for (let w = 0; w < count; w++) {
    const child = children[w % children.length]!;
    const agentId = `edge-${w}`;
    progress(`${agentId}: Worker in workerd for ${child.leadId}`);
    const pair = await nodeEd25519.generateKeyPair();
    const host = await startEdgeWorker({
      AGENT_PRIVATE_KEY: toBase64Url(pair.privateKey),
      LEAD_PUBLIC_KEYS: `${child.leadId}=${toBase64Url(child.keys.publicKey)}`,
      AGENT_ID: agentId,
      CLUSTER_ID: child.clusterId,
      CAPABILITIES: CAPABILITIES.join(','),
    });
    hosts.push(host);
    if (host.workerdPid !== null) {
      pids.push(host.workerdPid);
      // Miniflare ends workerd on dispose(); a crash or a signal must end it too.
      const pid = host.workerdPid;
      onProcessExit(() => {
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      });
    }
    started.push({ child, registration: { agent_id: agentId, url: host.url.toString(), capabilities: CAPABILITIES, cluster_id: child.clusterId, public_key: toBase64Url(pair.publicKey) } });
  }
  return started;
}

export async function startLeadTree(options: LocalMeshOptions): Promise<LocalMesh> {
  const childCount = options.leadsBelowRoot ?? 0;
  const heartbeatMs = options.heartbeatMs ?? 500;
  const seed = options.seed ?? 1;
  const readyTimeoutMs = options.readyTimeoutMs ?? 45_000;
  const profiles: readonly (LinkProfiles | undefined)[] = options.linkProfiles?.length ? options.linkProfiles : [undefined];
  const tmp = await makeTempDir('mesh30k-tree-');
  // Agents first (their stop hands held work back), then the children, then the root.
  const parts = new MeshParts(tmp, ['sim', 'lead-child']);
  const { procs, links, hosts, pids } = parts;
  const stop = (options?: MeshStopOptions): Promise<void> => parts.stop(options);

  try {
    const dir = tmp.path;
    const rootKeyPath = join(dir, 'mesh-root.key');
    const meshRoot = await generateKeyFile(rootKeyPath);
    const rootPublicKey = publicKeyText(meshRoot.publicKey);
    const operator = await createMeshOperator(dir);
    const root = await planLead(dir, ROOT_ID, 'cluster-root', undefined);
    const children: LeadPlan[] = [];
    for (let c = 0; c < childCount; c++) {
      const child = await planLead(dir, `lead-child-${c}`, `cluster-${c}`, `sector-${c}`);
      await enrollChildLead(meshRoot, root, child);
      children.push(child);
    }

    const progress = options.onProgress ?? (() => undefined);
    progress('nats-server');
    const nats = await parts.startNats({});

    // One sim per (child, link profile), so every child has agents behind every kind of link.
    // Sims first: each writes its signed enrollments, which the child reads when it starts.
    const sims = children.flatMap((child, c) => profiles.map((profile, p) => ({ child, profile, k: c * profiles.length + p })));
    const enrolled: Promise<void>[] = [];
    const handles: LeadHandle[] = [];
    let remaining = options.agents;
    for (const [n, { child, profile, k }] of sims.entries()) {
      const count = Math.ceil(remaining / (sims.length - n));
      remaining -= count;
      if (count === 0) continue;
      const { natsUrl, spec: linkSpec, gateway } = await simLink(profile, nats, seed + k);
      if (gateway !== undefined) links.push(gateway);
      const spec = {
        lead_id: child.leadId,
        cluster_id: child.clusterId,
        sector_id: child.sectorId,
        count,
        id_prefix: `s${k}`,
        seed: seed + k,
        classes: options.classes ?? { E: 1 },
        capabilities: CAPABILITIES,
        heartbeat_interval_ms: heartbeatMs,
        burst_samples: 4,
        ...linkSpec,
        ...(options.virtualSensors === undefined ? {} : { virtual_sensors: options.virtualSensors }),
      };
      progress(`sim-${k}: ${count} agents for ${child.leadId}`);
      const specPath = join(dir, `sim-${k}.spec.json`);
      const out = join(dir, `sim-${k}.enrollments.json`);
      await writeFile(specPath, JSON.stringify(spec));
      const sim = spawnNode(dir, `sim-${k}`, [
        AGENT_BIN, 'sim', '--nats', natsUrl, '--lead-key', publicKeyText(child.keys.publicKey), '--spec', specPath,
        '--root-key', rootKeyPath, '--enrollments-out', out, '--report', '1', '--log-level', 'warn',
      ]);
      procs.push(sim);
      if (sim.child.pid !== undefined) pids.push(sim.child.pid);
      // The sims start side by side; their enrollments are collected below.
      enrolled.push(
        (async () => {
          const entries = await waitFor(`sim-${k}'s enrollments`, readyTimeoutMs, async () => {
            try {
              return (JSON.parse(await readFile(out, 'utf8')) as { enrollments: { agent_id: string; enrollment: unknown }[] }).enrollments;
            } catch {
              return undefined; // not there yet, or still being written
            }
          }, [sim]);
          await writeFile(join(child.dir, 'enrollments', `sim-${k}.json`), JSON.stringify(entries.map((e) => e.enrollment)));
          child.agentIds.push(...entries.map((e) => e.agent_id));
        })(),
      );
      enrolled.at(-1)!.catch(() => undefined); // awaited with the others below
    }
    // Bundling and starting the Workers takes seconds: it runs while the sims and leads start.
    const workers = startWorkers(options.workers ?? 0, children, hosts, pids, progress);
    // Awaited below; until then a failure must not count as an unhandled rejection.
    workers.catch(() => undefined);
    try {
      await Promise.all(enrolled);

      progress('leads');
      // The root first: children send it their summaries from their first second.
      for (const plan of [root, ...children]) {
        const parent = plan === root ? undefined : root;
        const configPath = join(plan.dir, 'lead.json');
        await writeFile(configPath, JSON.stringify(leadConfig(plan, nats.url, rootPublicKey, heartbeatMs, parent, operator, options.leadConfig), null, 2));
        const proc = spawnNode(dir, plan.leadId, [LEAD_BIN, 'run', '--config', configPath]);
        procs.push(proc);
        if (proc.child.pid !== undefined) pids.push(proc.child.pid);
        const url = `http://127.0.0.1:${plan.port}`;
        handles.push({ leadId: plan.leadId, url, api: operatorApi(url, operator), agentIds: plan.agentIds });
      }
      for (const lead of handles) {
        await waitFor(`${lead.leadId} to be ready`, readyTimeoutMs, async () => ((await lead.api.getOk('/health/ready')) !== undefined ? true : undefined), procs);
      }
      for (const worker of await workers) {
        const lead = handles.find((h) => h.leadId === worker.child.leadId)!;
        const res = await lead.api.post('/v1/edge-agents', worker.registration);
        if (res.status !== 201) throw new Error(`POST /v1/edge-agents ${worker.registration.agent_id} on ${lead.leadId}: ${res.status} ${JSON.stringify(res.body)}`);
        worker.child.agentIds.push(worker.registration.agent_id);
      }
    } finally {
      // On failure, stop() must not run while a Worker is still starting: it would miss it.
      await workers.catch(() => undefined);
    }

    progress('waiting for every agent to be active');
    for (const lead of handles.slice(1)) {
      const expected = lead.agentIds.length;
      await waitFor(`${expected} active agents on ${lead.leadId}`, readyTimeoutMs, async () => {
        const status = await lead.api.getOk<{ agents: { by_state: Record<string, number> } }>('/v1/status');
        return (status?.agents.by_state.active ?? 0) >= expected ? true : undefined;
      }, procs);
    }

    // Ready when a cascade from the root reaches every child: that needs each child's clock
    // exchange with the root, which no status route shows.
    const rootApi = handles[0]!.api;
    progress('warm-up cascade through every child lead');
    await waitFor('a cascade to reach every child lead', readyTimeoutMs, async () => {
      const view = await runCascade(rootApi, { verb: 'record', payload: { command: 'warm-up' }, release_mode: 'hold', strategy: 'parallel' }, readyTimeoutMs);
      const reported = view.result?.phases[0]?.children.filter((c) => c.state === 'reported').length ?? 0;
      return reported === childCount ? true : undefined;
    }, procs);

    const agentIds = handles.flatMap((h) => h.agentIds);
    return {
      leadUrl: handles[0]!.url,
      operator,
      api: rootApi,
      natsUrl: nats.url,
      agentIds,
      pids,
      dir,
      leads: handles,
      arrivalFiles: [],
      leadPid: procs.find((p) => p.name === ROOT_ID)?.child.pid,
      // The root serves no agents itself: on a tree, operations go out as cascades (runCascade).
      operation: () => Promise.reject(new Error('a lead tree runs cascades from the root: use runCascade(mesh.api, ...)')),
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
