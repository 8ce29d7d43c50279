/** The scatter-gather engine: its public surface inside the cluster lead. */
export { ScatterEngine } from './engine.js';
export type { EngineStats, OperationOutcome, SubmitHandle } from './engine.js';
export { SCATTER_EVENTS } from './events.js';
export type { ScatterEventName } from './events.js';
export type { ScatterRefusal, ScatterRefusalCode } from './errors.js';
export { OperationRequest, parseOperation } from './operation-request.js';
export type { OperationRequestInput, ResolvedOperation } from './operation-request.js';
export { ScatterOptions, resolveScatterOptions } from './options.js';
export type { ResolvedScatterOptions, ScatterOptionsInput } from './options.js';
export { RealScheduler, performanceClock } from './real-scheduler.js';
export { ManualScheduler } from './manual-scheduler.js';
export { NatsScatterTransport, ACK_QUEUE_GROUP } from './nats-transport.js';
export { inlineAckVerifier, pooledAckVerifier, type FramePool } from './verifier.js';
export { leadConversion } from './arrival.js';
export type * from './ports.js';
export type * from './record.js';
