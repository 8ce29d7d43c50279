/**
 * @mesh30k/cluster-lead: the cluster lead. Its public surface: the composition root, the
 * config, the registry's read side (what the engines use), events, store and API types.
 */
export { startLead, type Lead, type LeadOverrides } from './main.js';
export { runLead, type RunOptions } from './run-lead.js';
export { main as cli } from './cli/index.js';
export * from './config/index.js';
export * from './registry/index.js';
export { LEAD_EVENTS, EventBus, type LeadEvent, type LeadEventName, type RefusalCode } from './lib/events.js';
export { EXIT, LeadError, type LeadErrorCode } from './lib/errors.js';
export { systemClock } from './lib/system-clock.js';
export { LeadStore } from './store/index.js';
export type { ConflictEntry, DeadLetter, OperationRecord, QuarantinedItem, StoredConflict } from './store/index.js';
export { ControlState, IngestCounters, type FrameVerifier } from './ingest/index.js';
export { createApi, createApiSigner, type ApiDeps, type ApiSigner, type ApiSignerOptions, type LeadStatusBody, type ReadinessCheck } from './api/index.js';
export { HEALTH_OUTCOME, registryPorts, registryRoutability, type RegistryPorts } from './registry-ports.js';
