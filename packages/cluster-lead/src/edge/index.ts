/**
 * The edge tier of a lead: Workers registered by URL and key, probed over HTTPS into the
 * registry, and reached by the scatter engine through a transport decorator. See README.md.
 */
import type { Clock, Ed25519, KeyResolver } from '@mesh30k/shared';
import type { Logger } from 'pino';
import type { Prober } from '../registry/prober.js';
import type { LeadIdentity, OperationStore, ScatterRoutes, ScatterTransport } from '../scatter/ports.js';
import type { Db } from '../store/index.js';
import { EdgeDirectory, SqliteEdgeAgents } from './edge-directory.js';
import type { FetchLike } from './edge-http.js';
import { EdgeProber, type EdgeHeartbeatSink, type EdgeProberOptions } from './edge-prober.js';
import { EdgeScatterTransport, OperationPlanTap, type EdgeDelivery } from './edge-transport.js';

export { edgeUrl, EdgeAgentInput, type EdgeAgent, type EdgeAgentRecord } from './edge-agent.js';
export { EdgeClock, type EdgeClockReading } from './edge-clock.js';
export { EdgeDirectory, SqliteEdgeAgents, type EdgeAgentPersistence, type EdgeRegistration } from './edge-directory.js';
export { EdgeUnreachable, type FetchLike } from './edge-http.js';
export { EDGE_EVENTS, EDGE_PROBER_DEFAULTS, EdgeEndpoint, EdgeProber, type EdgeHeartbeatSink, type EdgeProbeOutcome, type EdgeProbeState, type EdgeProberOptions } from './edge-prober.js';
export { COORDINATE_RESPONSE_SLACK_MS, EdgeScatterTransport, OperationPlanTap, type EdgeDelivery } from './edge-transport.js';
export { EDGE_SECTOR_ID, registrationEnrollment, syntheticHeartbeat } from './synthetic-heartbeat.js';

export interface EdgeTierDeps {
  readonly clock: Clock;
  readonly identity: LeadIdentity;
  /** The registry (Registry.recordHeartbeat). */
  readonly registry: EdgeHeartbeatSink;
  readonly ed25519: Ed25519;
  readonly logger: Logger;
  /** The lead's database: edge agents survive a restart. Null: in memory only. */
  readonly db: Db | null;
  readonly fetch?: FetchLike;
  readonly onDelivery?: (delivery: EdgeDelivery) => void;
}

/** Everything main.ts needs, built in one call; the pieces stay usable on their own. */
export class EdgeTier {
  readonly directory: EdgeDirectory;
  readonly prober: EdgeProber;
  readonly plans: OperationPlanTap;

  constructor(
    private readonly deps: EdgeTierDeps,
    options: Partial<EdgeProberOptions> = {},
  ) {
    this.directory = new EdgeDirectory(deps.clock, deps.db === null ? null : new SqliteEdgeAgents(deps.db));
    this.prober = new EdgeProber(
      {
        clock: deps.clock,
        identity: deps.identity,
        directory: this.directory,
        sink: deps.registry,
        ed25519: deps.ed25519,
        logger: deps.logger,
        ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
      },
      options,
    );
    this.plans = new OperationPlanTap();
  }

  /** The scatter engine's transport: NATS for Pis, HTTPS for Workers. */
  transport(nats: ScatterTransport): EdgeScatterTransport {
    return new EdgeScatterTransport({
      inner: nats,
      directory: this.directory,
      prober: this.prober,
      plans: this.plans,
      identity: this.deps.identity,
      clock: this.deps.clock,
      logger: this.deps.logger,
      ...(this.deps.fetch === undefined ? {} : { fetch: this.deps.fetch }),
      ...(this.deps.onDelivery === undefined ? {} : { onDelivery: this.deps.onDelivery }),
    });
  }

  /** The engine's OperationStore: records go on to `history`; hold-mode plans are kept for the transport. */
  operationStore(history: OperationStore | null): OperationStore {
    this.plans.setInner(history);
    return this.plans;
  }

  /** The engine's routes: `inner` (registry, breakers) and, for Workers, their edge breaker. */
  routes(inner: ScatterRoutes): ScatterRoutes {
    return {
      routable: (agent) => {
        const first = inner.routable(agent);
        return first.routable ? this.prober.routability(agent.agentId) : first;
      },
    };
  }

  /** The registry's prober: HTTPS for Workers, `nats` for everyone else. */
  registryProber(nats: Prober): Prober {
    return this.prober.asRegistryProber(nats);
  }

  /** Trust for ACKs and PONGs: Workers' registered keys, then `trust`. */
  keyResolver(trust: KeyResolver): KeyResolver {
    return this.directory.keyResolver(trust);
  }
}
export { registrationFromEnrollment, type EdgeEnrollmentOutcome } from './edge-enrollment.js';
