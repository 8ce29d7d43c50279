export { backoffDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export type { Bus, BusMessage, HeaderReader, OutgoingHeaders, RequestOptions, Unsubscribe } from './bus.js';
export { BusError, isBusError } from './errors.js';
export type { BusErrorCode } from './errors.js';
export { NATS_EVENTS } from './events.js';
export type { ConnectionEvent, ConnectionEventType, ConnectionListener } from './events.js';
export {
  checkKind,
  encodeFrame,
  incomingFrame,
  requestConfirmed,
  UNTRUSTED_REPLY,
  publishSigned,
  requestSigned,
  respondSigned,
  subjectOf,
  verifyOn,
} from './frames.js';
export type { Confirmation, ConfirmingPeer, EncodedFrame, Identity, Route } from './frames.js';
export { MeshInbox } from './inbox.js';
export type { InboxDelivery, InboxDeps, InboxListener } from './inbox.js';
export { NatsSupervisor } from './supervisor.js';
export {
  DEFAULT_BACKOFF,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_MAX_PING_OUT,
  DEFAULT_PING_INTERVAL_MS,
} from './supervisor-options.js';
export type { ConnectFn, SupervisorDeps, SupervisorOptions } from './supervisor-options.js';
export { NatsConfigError, supervisorOptionsFrom } from './config-options.js';
