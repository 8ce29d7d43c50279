// A fleet of simulated agents of mixed classes, each group behind its own emulated link to
// NATS, each agent with a skewed, drifting clock.
import { CLASS_BASE_MS } from '@mesh30k/shared';
import type { AgentClass, Clock, KeyResolver, PublicKeyBytes } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { mulberry32, startLink } from '../../../../../test/harness/index.js';
import type { Link, NatsServer } from '../../../../../test/harness/index.js';
import { SimAgent } from './sim-agent.js';
import { SkewedClock } from './skewed-clock.js';

const CLASSES: readonly AgentClass[] = ['A', 'B', 'C', 'D', 'E'];
/** Sim agents take their class's base time, varied by up to this share either way. */
const PROCESSING_VARIATION = 0.03;

export interface FleetOptions {
  readonly nats: NatsServer;
  readonly leadId: string;
  readonly resolveLeadKey: KeyResolver;
  readonly truth: Clock;
  readonly agents: number;
  /** One-way delay of each link, ms; agents are spread over the links in turn. */
  readonly linkDelaysMs: readonly number[];
  /** Uniform jitter added each way on every link, ms. */
  readonly linkJitterMs: number;
  readonly maxSkewMs: number;
  readonly maxDriftPpm: number;
  readonly seed: number;
}

export interface Fleet {
  readonly agents: readonly SimAgent[];
  readonly links: readonly Link[];
  /** Agent id -> the link delay it sits behind. */
  readonly linkOf: ReadonlyMap<string, number>;
  readonly resolveAgentKey: KeyResolver;
  close(): Promise<void>;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const random = mulberry32(options.seed);
  const target = { host: options.nats.host, port: options.nats.port };
  const links = await Promise.all(
    options.linkDelaysMs.map((baseMs, i) =>
      startLink({ target, seed: options.seed + i, up: { baseMs, jitterMs: options.linkJitterMs }, down: { baseMs, jitterMs: options.linkJitterMs } }),
    ),
  );
  const keys = new Map<string, PublicKeyBytes>();
  const linkOf = new Map<string, number>();
  const epoch = options.truth.now();
  const specs = await Promise.all(
    Array.from({ length: options.agents }, async (_, i) => {
      const agentId = `sim-${String(i).padStart(3, '0')}`;
      const agentClass = CLASSES[i % CLASSES.length]!;
      const linkIndex = i % links.length;
      const pair = await nodeEd25519.generateKeyPair();
      keys.set(agentId, pair.publicKey);
      linkOf.set(agentId, options.linkDelaysMs[linkIndex]!);
      return {
        agentId,
        agentClass,
        capabilities: i % 2 === 0 ? ['sensor.read', 'gpio'] : ['sensor.read'],
        clusterId: `cluster-${i % 4}`,
        sectorId: 'sector-1',
        processingMs: CLASS_BASE_MS[agentClass] * (1 + PROCESSING_VARIATION * (2 * random() - 1)),
        clock: new SkewedClock(options.truth, options.maxSkewMs * (2 * random() - 1), options.maxDriftPpm * (2 * random() - 1), epoch),
        natsUrl: links[linkIndex]!.url('nats'),
        leadId: options.leadId,
        signer: nodeEd25519.signerSync(pair.privateKey),
        resolveLeadKey: options.resolveLeadKey,
      };
    }),
  );
  const agents = await Promise.all(specs.map((spec) => SimAgent.start(spec)));
  return {
    agents,
    links,
    linkOf,
    resolveAgentKey: (signerId) => {
      const key = keys.get(signerId);
      return key === undefined ? { ok: false, error: { code: 'UNKNOWN_SIGNER', message: `${signerId} is not enrolled` } } : { ok: true, value: key };
    },
    close: async () => {
      await Promise.all(agents.map((a) => a.close()));
      await Promise.all(links.map((l) => l.close()));
    },
  };
}
