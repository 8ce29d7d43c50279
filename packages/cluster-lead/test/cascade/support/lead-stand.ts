// One lead composed from its parts for the cascade tests: its own clock (skewed against the
// true one for child leads), its NATS connection (through an emulated link for child leads, so
// the hop to the parent is real), the registry stand-in and scatter engine of test/scatter,
// a fleet of simulated agents, and the cascade service under test, on skewed clocks, which the
// full lead (startLead, see test/lead/hierarchy-and-edge.test.ts) cannot take, so the pieces
// are composed here instead.
import { ReplayGuard } from '@mesh30k/shared';
import type { Clock, KeyResolver, PublicKeyBytes } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { startLink } from '../../../../../test/harness/index.js';
import type { Link, NatsServer } from '../../../../../test/harness/index.js';
import { createCascadeService } from '../../../src/cascade/index.js';
import type { CascadeOptionsInput, CascadeService } from '../../../src/cascade/index.js';
import { ScatterEngine } from '../../../src/scatter/engine.js';
import { NatsScatterTransport } from '../../../src/scatter/nats-transport.js';
import { RealScheduler, performanceClock } from '../../../src/scatter/real-scheduler.js';
import { inlineAckVerifier } from '../../../src/scatter/verifier.js';
import { captureLog } from '../../scatter/support/capture-log.js';
import { MemoryStore, RecordingOutcomes } from '../../scatter/support/fakes.js';
import { startFleet } from '../../scatter/support/fleet.js';
import type { Fleet } from '../../scatter/support/fleet.js';
import { RegistryStandIn } from '../../scatter/support/registry-stand-in.js';
import { SkewedClock } from '../../scatter/support/skewed-clock.js';

/** Wide margins, as in the scatter integration test: one busy process hosts every lead and agent. */
const ENGINE_OPTIONS = { holdMarginMs: 250, ackReturnSlackMs: 1_000 };

export interface LeadKeys {
  readonly publicKey: PublicKeyBytes;
  readonly signer: ReturnType<typeof nodeEd25519.signerSync>;
}

export async function leadKeys(): Promise<LeadKeys> {
  const pair = await nodeEd25519.generateKeyPair();
  return { publicKey: pair.publicKey, signer: nodeEd25519.signerSync(pair.privateKey) };
}

export function resolverOf(keys: ReadonlyMap<string, PublicKeyBytes>): KeyResolver {
  return (id) => {
    const key = keys.get(id);
    return key === undefined ? { ok: false, error: { code: 'UNKNOWN_SIGNER', message: `${id} is unknown` } } : { ok: true, value: key };
  };
}

export interface StandOptions {
  readonly nats: NatsServer;
  readonly leadId: string;
  readonly clusterId: string;
  readonly keys: LeadKeys;
  /** Child leads: skew (ms) and drift (ppm) of this lead's clock against the true clock. */
  readonly skew?: { readonly ms: number; readonly ppm: number };
  /** Child leads: one-way delay of this lead's own link to NATS, ms. */
  readonly linkMs?: number;
  readonly parent?: { readonly leadId: string; readonly publicKey: PublicKeyBytes };
  /** Public keys of the child leads that may report here. */
  readonly childKeys: ReadonlyMap<string, PublicKeyBytes>;
  readonly agents: number;
  readonly agentLinkDelaysMs: readonly number[];
  readonly seed: number;
  readonly cascadeOptions?: CascadeOptionsInput;
}

export interface LeadStand {
  readonly leadId: string;
  readonly clock: Clock;
  readonly trueOffsetToTruthMs: () => number;
  readonly connection: NatsConnection;
  readonly engine: ScatterEngine;
  readonly registry: RegistryStandIn;
  readonly fleet: Fleet;
  readonly service: CascadeService;
  readonly errors: unknown[];
  close(): Promise<void>;
}

export async function startLeadStand(o: StandOptions): Promise<LeadStand> {
  const epoch = performanceClock.now();
  const skewed = o.skew === undefined ? undefined : new SkewedClock(performanceClock, o.skew.ms, o.skew.ppm, epoch);
  const clock: Clock = skewed ?? performanceClock;
  let link: Link | undefined;
  if (o.linkMs !== undefined) {
    link = await startLink({ target: { host: o.nats.host, port: o.nats.port }, seed: o.seed, up: { baseMs: o.linkMs, jitterMs: 0.5 }, down: { baseMs: o.linkMs, jitterMs: 0.5 } });
  }
  const connection = await connect({ servers: link?.url('nats') ?? o.nats.url, reconnect: false, name: o.leadId });
  const log = captureLog();
  const errors: unknown[] = [];
  const ownKey = new Map([[o.leadId, o.keys.publicKey]]);
  const fleet = await startFleet({
    nats: o.nats,
    leadId: o.leadId,
    resolveLeadKey: resolverOf(ownKey),
    truth: performanceClock,
    agents: o.agents,
    linkDelaysMs: o.agentLinkDelaysMs,
    linkJitterMs: 1,
    maxSkewMs: 5_000,
    maxDriftPpm: 30,
    seed: o.seed,
  });
  const registry = new RegistryStandIn({ connection, leadId: o.leadId, signer: o.keys.signer, clock, resolveKey: fleet.resolveAgentKey });
  registry.start();
  const engine = new ScatterEngine(
    {
      clock,
      scheduler: new RealScheduler({ clock, onError: (error) => errors.push(error) }),
      identity: { leadId: o.leadId, signer: o.keys.signer },
      targets: registry,
      routes: { routable: () => ({ routable: true }) },
      outcomes: new RecordingOutcomes(),
      transport: new NatsScatterTransport({ connection, leadId: o.leadId, log: log.logger, replies: { leadId: o.leadId, signer: o.keys.signer, clock } }),
      store: new MemoryStore(),
      mode: { mode: () => 'FULL' },
      verifier: inlineAckVerifier({ ed25519: nodeEd25519, resolveKey: fleet.resolveAgentKey, replay: new ReplayGuard({ clock }) }),
      logger: log.logger,
    },
    ENGINE_OPTIONS,
  );
  engine.start();
  // Exactly how main.ts wires it, with the stand-in in place of the registry.
  const service = createCascadeService(
    {
      clock,
      identity: { leadId: o.leadId, clusterId: o.clusterId, signer: o.keys.signer },
      connection,
      ed25519: nodeEd25519,
      runScatter: (request) => engine.submit(request),
      subtree: { targets: registry, impedanceScore: () => 120, mode: () => 'FULL', frozen: () => false },
      resolveChildKey: resolverOf(o.childKeys),
      ...(o.parent === undefined ? {} : { parent: { leadId: o.parent.leadId, resolveKey: resolverOf(new Map([[o.parent.leadId, o.parent.publicKey]])) } }),
      logger: log.logger,
    },
    { timers: false, ...o.cascadeOptions },
  );
  service.start();
  await connection.flush();
  return {
    leadId: o.leadId,
    clock,
    // True parent-minus-child offset when the parent runs on the true clock.
    trueOffsetToTruthMs: () => {
      const truth = performanceClock.now();
      return truth - (skewed?.toLocal(truth) ?? truth);
    },
    connection,
    engine,
    registry,
    fleet,
    service,
    errors,
    close: async () => {
      service.stop();
      engine.stop();
      registry.stop();
      await fleet.close();
      await connection.close();
      await link?.close();
    },
  };
}
