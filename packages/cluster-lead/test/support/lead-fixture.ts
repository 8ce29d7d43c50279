/**
 * A lead for tests: temp data dir, fresh lead and root keys, a manual clock, no timers (tests
 * sweep and flush by hand), silent logs, and helpers to enroll and connect test agents.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock, publicKeyText, type AgentClass, type KeyPair } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';
import { LeadApi, makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { parseConfig, type LeadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startLead, type Lead, type LeadOverrides } from '../../src/main.js';
import type { LeadEvent, LeadEventName } from '../../src/lib/events.js';
import type { LagMonitor } from '../../src/registry/index.js';
import { TestAgent, createTestRoot, type TestRoot } from './test-agents.js';

export const T0 = 1_800_000_000_000;
export const INTERVAL_MS = 5_000;
/** The API operator every fixture lead trusts (role operator). */
export const OPERATOR_ID = 'test-operator';

/** A lag monitor a test sets by hand. */
export class FakeLag implements LagMonitor {
  lagMs = 0;
  takeMaxLagMs(): number {
    return this.lagMs;
  }
  close(): void {}
}

export interface FixtureOptions {
  natsUrl: string;
  leadId?: string;
  clusterId?: string;
  verifyThreads?: number;
  /** Merged over the fixture's config (section by section). */
  config?: Record<string, unknown>;
  overrides?: LeadOverrides;
  /** Wait until the lead takes heartbeats before returning (default true). */
  waitForIntake?: boolean;
}

export interface AgentSpec {
  agentId: string;
  agentClass?: AgentClass;
  capabilities?: string[];
  clusterId?: string;
  sectorId?: string;
  /** Answer the lead's probes (default true). */
  answerProbes?: boolean;
  /** Write its enrollment for the lead (default true). */
  enrolled?: boolean;
}

export class LeadFixture {
  readonly agents: TestAgent[] = [];

  private constructor(
    public lead: Lead,
    readonly config: LeadConfig,
    readonly clock: ManualClock,
    readonly lag: FakeLag,
    readonly root: TestRoot,
    readonly dir: TempDir,
    readonly leadPublicKey: Uint8Array,
    /** The key of OPERATOR_ID, configured in api.operators. */
    readonly operatorKeys: KeyPair,
    private readonly options: FixtureOptions,
  ) {}

  /** The lead's API, signed as OPERATOR_ID on the fixture's clock (follows restarts). */
  get api(): LeadApi {
    return new LeadApi(this.lead.api.url, { operatorId: OPERATOR_ID, privateKey: this.operatorKeys.privateKey, now: () => this.clock.now() });
  }

  static async start(options: FixtureOptions): Promise<LeadFixture> {
    const dir = await makeTempDir('mesh30k-lead-');
    const clock = new ManualClock(T0);
    const lag = new FakeLag();
    const root = await createTestRoot();
    const leadKeys = await generateKeyFile(join(dir.path, 'lead.key'));
    await mkdir(join(dir.path, 'enrollments'));
    const operatorKeys = await nodeEd25519.generateKeyPair();
    const config = parseConfig(
      mergeSections(
        {
          lead_id: options.leadId ?? 'lead-1',
          cluster_id: options.clusterId ?? 'cluster-1',
          nats: { servers: [options.natsUrl], reconnect_wait_ms: 50 },
          key_path: join(dir.path, 'lead.key'),
          trust: { root_public_keys: [root.publicKeyText], enrollments: join(dir.path, 'enrollments') },
          data_dir: join(dir.path, 'data'),
          http: { host: '127.0.0.1', port: 0, allow_plain_http: true },
          api: { operators: [{ id: OPERATOR_ID, public_key: publicKeyText(operatorKeys.publicKey), role: 'operator' }] },
          heartbeat: { interval_ms: INTERVAL_MS },
          guard: { restart_grace_ms: 1 },
          ingest: { verify_threads: options.verifyThreads ?? 0 },
          log: { level: 'silent' },
        },
        options.config ?? {},
      ),
      { env: {} },
    );
    const lead = await startLead(config, { clock, lag, logger: silentLogger(), timers: false, ...options.overrides });
    if (options.waitForIntake ?? true) await lead.intake;
    return new LeadFixture(lead, config, clock, lag, root, dir, leadKeys.publicKey, operatorKeys, options);
  }

  /** Creates, enrolls (one reload for all) and connects agents. */
  async addAgents(specs: readonly AgentSpec[]): Promise<TestAgent[]> {
    const created: TestAgent[] = [];
    for (const spec of specs) {
      const agent = await TestAgent.create({
        agentId: spec.agentId,
        leadId: this.config.lead_id,
        leadPublicKey: this.leadPublicKey,
        root: this.root,
        clusterId: spec.clusterId ?? this.config.cluster_id,
        clock: this.clock,
        ...(spec.sectorId === undefined ? {} : { sectorId: spec.sectorId }),
        ...(spec.agentClass === undefined ? {} : { agentClass: spec.agentClass }),
        ...(spec.capabilities === undefined ? {} : { capabilities: spec.capabilities }),
      });
      if (spec.enrolled ?? true) await writeFile(join(this.dir.path, 'enrollments', `${spec.agentId}.json`), JSON.stringify(agent.enrollment));
      await agent.connect(this.options.natsUrl);
      if (spec.answerProbes ?? true) agent.answerProbes();
      await agent.flush();
      created.push(agent);
    }
    await this.lead.reloadEnrollments();
    this.agents.push(...created);
    return created;
  }

  async addAgent(spec: AgentSpec): Promise<TestAgent> {
    const [agent] = await this.addAgents([spec]);
    return agent!;
  }

  /** Stops the lead (flushing its snapshot) and starts a new one on the same data dir and clock. */
  async restart(overrides: LeadOverrides = {}): Promise<Lead> {
    await this.lead.stop('test restart');
    this.lead = await startLead(this.config, { clock: this.clock, lag: this.lag, logger: silentLogger(), timers: false, ...this.options.overrides, ...overrides });
    await this.lead.intake;
    return this.lead;
  }

  async close(): Promise<void> {
    for (const agent of this.agents) await agent.close();
    await this.lead.stop('test done');
    await this.dir.dispose();
  }
}

function mergeSections(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      current !== null && typeof current === 'object' && !Array.isArray(current) && value !== null && typeof value === 'object' && !Array.isArray(value)
        ? { ...(current as Record<string, unknown>), ...(value as Record<string, unknown>) }
        : value;
  }
  return out;
}

/** The event type whose name union contains K. */
export type EventOf<K extends LeadEventName> = LeadEvent extends infer E ? (E extends { name: infer N } ? (K extends N ? E : never) : never) : never;

/** Resolves with the next event named `name` (and matching `predicate`) that the lead emits. */
export function nextEvent<K extends LeadEventName>(lead: Lead, name: K, predicate: (event: EventOf<K>) => boolean = () => true): Promise<EventOf<K>> {
  return new Promise((resolve) => {
    const off = lead.events.on((event) => {
      if (event.name === name && predicate(event as EventOf<K>)) {
        off();
        resolve(event as EventOf<K>);
      }
    });
  });
}

/** Collects every event the lead emits from now on. */
export function recordEvents(lead: Lead): LeadEvent[] {
  const seen: LeadEvent[] = [];
  lead.events.on((event) => seen.push(event));
  return seen;
}
