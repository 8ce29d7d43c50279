/** Sensor intake: signed SENSOR_EVENTs from agents' outboxes, deduplicated and stored. */
import { ReplayGuard, type Clock } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { LeadConfig } from '../config/index.js';
import type { Logger } from '../lib/logger.js';
import type { OpsMirror } from '../replication/operations/index.js';
import { SensorIntake } from '../sensors/index.js';
import type { LeadStore } from '../store/index.js';
import type { LeadIdentity } from '../trust/index.js';
import type { LeadTrust } from './trust.js';

export interface SensorsDeps {
  readonly config: LeadConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: LeadStore;
  readonly identity: LeadIdentity;
  readonly resolveKey: LeadTrust['resolveKey'];
  /** The JetStream store's mirror: a reading is answered once it is on its stream. */
  readonly mirror?: OpsMirror | undefined;
}

export function buildSensorIntake({ config, clock, logger, store, identity, resolveKey, mirror }: SensorsDeps): SensorIntake {
  return new SensorIntake({
    readings: store.sensors,
    clock,
    ed25519: nodeEd25519,
    resolveKey,
    replay: new ReplayGuard({ clock, ttlMs: config.ingest.replay_ttl_ms, skewMs: config.ingest.replay_skew_ms }),
    logger: logger.child({ domain: 'sensors' }),
    leadId: config.lead_id,
    replies: { leadId: config.lead_id, signer: identity.signer, clock },
    replicate: mirror === undefined ? undefined : (reading) => mirror.sensorReading(reading),
  });
}
