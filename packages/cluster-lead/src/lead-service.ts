import type { Clock } from '@mesh30k/shared';
import type { NatsConnection } from 'nats';
import type { MeshStatusBox } from './api/index.js';
import type { LeadBreakers } from './breakers/index.js';
import type { LeadConfig } from './config/index.js';
import type { ConflictDesk } from './conflicts/index.js';
import type { FreezeControl } from './control/index.js';
import type { EventBus } from './lib/events.js';
import type { Logger } from './lib/logger.js';
import type { NatsLink } from './nats/nats-link.js';
import type { Registry } from './registry/index.js';
import type { ScatterEngine } from './scatter/index.js';
import type { LeadStore } from './store/index.js';
import type { LeadIdentity } from './trust/index.js';

/**
 * EXTENSION POINT for engines that live beside the scatter engine (src/cascade: hierarchy and
 * cascades; src/edge: HTTPS transport to Workers). Each exposes a factory; the factory gets the
 * lead's components, the service is started once NATS is connected and stopped (in reverse
 * order) before NATS is drained and the store closed.
 */
export interface LeadServiceContext {
  readonly config: LeadConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly identity: LeadIdentity;
  readonly registry: Registry;
  readonly events: EventBus;
  readonly store: LeadStore;
  readonly engine: ScatterEngine;
  readonly breakers: LeadBreakers;
  readonly freeze: FreezeControl;
  readonly conflicts: ConflictDesk;
  readonly link: NatsLink;
}

export interface LeadService {
  readonly name: string;
  /** Called once the first NATS connection is up (the client keeps subscriptions across reconnects). */
  start(nc: NatsConnection): void | Promise<void>;
  stop(): void | Promise<void>;
  /** For GET /v1/status: the last cascade this service ran, if it runs cascades. */
  lastCascade?(): MeshStatusBox['last_cascade'];
}

export type LeadServiceFactory = (context: LeadServiceContext) => LeadService;

/**
 * The lead services every lead runs. Add the cascade engine and the edge transport here as
 * their factories land, e.g. `(ctx) => createCascadeService(ctx)`; order is start order.
 */
export const LEAD_SERVICES: readonly LeadServiceFactory[] = [];
// The cascade service (src/cascade, via lead-cascade.ts) is built in startLead, first in start
// order, because the API serves it; the edge tier (src/edge) is part of the scatter engine's
// composition (lead-scatter.ts) and the registry's prober, so neither is a factory here.
