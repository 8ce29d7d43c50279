/**
 * What the lead says on its control channel (FREEZE, THAW, CIRCUIT, all signed) and the
 * breakers whose transitions it announces there; breaker state is written on change and read
 * back at the next start.
 */
import { PROTOCOL_VERSION, encodeMessage, newMessageId, subjects, type BreakerTarget, type Circuit, type Clock, type Freeze, type SignedFrame, type Thaw } from '@mesh30k/shared';
import { LeadBreakers, restoreBreakers, saveBreakers } from '../breakers/index.js';
import type { LeadConfig } from '../config/index.js';
import { FreezeControl } from '../control/index.js';
import { stampLeaseEpoch } from '../ha/index.js';
import type { ControlState } from '../ingest/index.js';
import type { Logger } from '../lib/logger.js';
import { frameHeaders } from '../nats/frames.js';
import type { NatsLink } from '../nats/nats-link.js';
import type { Prober, Registry } from '../registry/index.js';
import type { LeadStore } from '../store/index.js';
import type { LeadIdentity } from '../trust/index.js';

/** How long a CIRCUIT notice is good for. */
const CIRCUIT_TTL_MS = 60_000;

export interface ControlDeps {
  readonly config: LeadConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly link: NatsLink;
  readonly identity: LeadIdentity;
  readonly control: ControlState;
  readonly registry: Registry;
  readonly prober: Prober;
  readonly store: LeadStore;
}

export function buildControl({ config, clock, logger, link, identity, control, registry, prober, store }: ControlDeps) {
  /** A signed frame as it is, on `subject` (dead-letter replays). */
  const publishFrame = (subject: string, frame: SignedFrame): void => {
    const nc = link.connection;
    if (nc === undefined) throw new Error('NATS is not connected');
    nc.publish(subject, frame.body, { headers: frameHeaders(frame) });
  };
  const publishControl = async (message: Freeze | Thaw | Circuit): Promise<void> => {
    const nc = link.connection;
    if (nc === undefined) throw new Error('NATS is not connected');
    const frame = await encodeMessage(stampLeaseEpoch(message, identity.leaseEpoch), identity.signer, config.lead_id);
    nc.publish(subjects.control(config.lead_id), frame.body, { headers: frameHeaders(frame) });
  };
  const freeze = new FreezeControl({ clock, state: control, publish: publishControl, logger: logger.child({ domain: 'control' }), leadId: config.lead_id, clusterId: config.cluster_id, sectorId: config.sector_id });

  const breakerLog = logger.child({ domain: 'breakers' });
  const breakers: LeadBreakers = new LeadBreakers(
    {
      clock,
      logger: breakerLog,
      locate: (agentId) => {
        const view = registry.get(agentId);
        return view === undefined ? undefined : { clusterId: view.clusterId, sectorId: view.sectorId };
      },
      probeCandidates: (target) => probeCandidates(registry, target),
      probe: (agentId) => prober.probe(agentId),
      onTransition: (event) => {
        if (event.shadow || event.kind === 'extended') return;
        // Written on change only; read back at the next start.
        saveBreakers(store.state, breakers);
        const now = clock.now();
        const action = event.to === 'open' ? 'OPEN' : event.to === 'half-open' ? 'HALF_OPEN' : 'CLOSE';
        publishControl({ v: PROTOCOL_VERSION, message_id: newMessageId(now), sender_id: config.lead_id, created_at: now, ttl_ms: CIRCUIT_TTL_MS, kind: 'CIRCUIT', action, scope: event.scope, target_id: event.targetId, reason: event.reason.slice(0, 256) }).catch(
          (error: unknown) => breakerLog.debug({ err: error }, 'CIRCUIT notice not published'),
        );
      },
    },
    {
      metricsOnly: config.breakers.metrics_only,
      clusterTripAbove: config.breakers.cluster_trip_above,
      sectorTripAbove: config.breakers.sector_trip_above,
      failureWindowMs: config.breakers.failure_window_ms,
      openDurationMs: config.breakers.open_duration_ms,
      reprobeMs: config.breakers.reprobe_ms,
      halfOpenObservationMs: config.breakers.half_open_observation_ms,
      halfOpenMaxTrials: config.breakers.half_open_max_trials,
    },
  );
  const restoredBreakers = restoreBreakers(store.state, breakers);
  if (restoredBreakers > 0) breakerLog.warn({ restored: restoredBreakers }, 'breakers restored from the database');
  return { publishFrame, freeze, breakers };
}

/** Agents to PING for a breaker probe: routable ones of the scope by impedance, else any of it. */
function probeCandidates(registry: Registry, target: BreakerTarget): string[] {
  const selector = target.scope === 'cluster' ? { cluster_id: target.targetId } : { sector_id: target.targetId };
  const routable = registry.select({ selector, order: 'impedance', limit: 2, honourPanic: false }).agentIds;
  if (routable.length > 0) return routable;
  return registry.select({ selector, states: ['active', 'degraded', 'offline', 'quarantined'], honourPanic: false, limit: 2 }).agentIds;
}
