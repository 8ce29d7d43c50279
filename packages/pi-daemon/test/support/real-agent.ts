/**
 * One in-process agent built the way main.ts builds it (NATS supervisor, SQLite stores, a
 * health sampler), with a captured logger and test-sized timings.
 */
import type { Clock, Verb } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { Agent } from '../../src/agent/agent.js';
import type { AgentTuning } from '../../src/agent/options.js';
import { trueClock } from '../../src/clock/true-clock.js';
import type { VerbHandler } from '../../src/coordination/handlers.js';
import type { HeartbeatAuth } from '../../src/heartbeat/index.js';
import { staticHealthSampler } from '../../src/health/index.js';
import { NatsSupervisor } from '../../src/nats/supervisor.js';
import { openAgentStores, type AgentStores } from '../../src/outbox/index.js';
import type { TestMesh } from './fixtures.js';
import { agentIdentity } from './fixtures.js';
import { captureLogger, type LogLine } from './log-capture.js';

/** Short timings so tests run in seconds, not minutes. */
export const TEST_TUNING: Partial<AgentTuning> = {
  heartbeatIntervalMs: 300,
  burstIntervalMs: 100,
  heartbeatTimeoutMs: 1_000,
  ackTimeoutMs: 1_000,
  outboxRetryMinMs: 100,
  outboxRetryMaxMs: 500,
  outboxRatePerSec: 200,
  shutdownGraceMs: 500,
};

export interface RealAgent {
  agent: Agent;
  supervisor: NatsSupervisor;
  stores: AgentStores;
  lines: LogLine[];
  events: (name: string) => LogLine[];
  /** Stops the agent gracefully, drains NATS and closes the stores. */
  close(): Promise<void>;
}

export interface RealAgentOptions {
  mesh: TestMesh;
  natsUrl: string;
  agentId: string;
  dataDir: string;
  capabilities?: string[];
  clock?: Clock;
  handlers?: Partial<Record<Verb, VerbHandler>>;
  tuning?: Partial<AgentTuning>;
  /** Heartbeat authentication (config heartbeat.auth); the Agent's default when absent. */
  heartbeatAuth?: HeartbeatAuth;
}

export async function startRealAgent(options: RealAgentOptions): Promise<RealAgent> {
  const { logger, lines, events } = captureLogger();
  const identity = await agentIdentity(options.agentId, options.capabilities === undefined ? {} : { capabilities: options.capabilities });
  await options.mesh.enroll([identity.subject]);
  const supervisor = new NatsSupervisor({ servers: [options.natsUrl], name: options.agentId, backoff: { minMs: 50, maxMs: 500, jitterMs: 50 } }, { logger });
  const stores = openAgentStores({ dataDir: options.dataDir, outboxMaxEntries: 1_000, logger });
  const agent = new Agent({
    identity: {
      agentId: options.agentId,
      clusterId: 'cluster-1',
      sectorId: 'sector-1',
      agentClass: 'E',
      capabilities: identity.subject.capabilities,
      leadId: options.mesh.leadId,
    },
    clock: options.clock ?? trueClock,
    signer: nodeEd25519.signerSync(identity.keyPair.privateKey),
    ed25519: nodeEd25519,
    leadKeys: options.mesh.leadKeys,
    bus: supervisor,
    outbox: stores.outbox,
    state: stores.state,
    health: staticHealthSampler(),
    logger,
    ...(options.handlers === undefined ? {} : { handlers: options.handlers }),
    ...(options.heartbeatAuth === undefined ? {} : { heartbeatAuth: options.heartbeatAuth }),
    config: { ...TEST_TUNING, ...options.tuning },
  });
  supervisor.start();
  agent.start();
  return {
    agent,
    supervisor,
    stores,
    lines,
    events,
    async close() {
      await agent.stop();
      await supervisor.stop();
      stores.close();
    },
  };
}
