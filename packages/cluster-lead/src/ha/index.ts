// High availability: the lease that decides which of several leads acts for a cluster, and the
// epoch that fences the ones that lost it (README.md).
export { LeaseKeeper, type HeldLease, type LeaseEvent, type LeaseKeeperDeps, type LeaseKeeperOptions, type LeaseLoss, type RideEvent } from './lease-keeper.js';
export type { PresenceAck, WitnessAnswer, WitnessLink, WitnessParty, WitnessRequest } from './lease-witness.js';
export { NatsWitnessLink, type NatsWitnessOptions } from './nats-witness-link.js';
export { LeaseRecordSchema, decodeLeaseRecord, encodeLeaseRecord, epochOf, type LeaseRecord } from './lease-record.js';
export type { LeaseObservation, LeaseStore } from './lease-store.js';
export { epochBucketName, openKvLeaseStore, type KvLeaseOptions } from './kv-lease-store.js';
export { OpenBackoff, type OpenBackoffOptions } from './open-backoff.js';
export { stampLeaseEpoch, type LeaseEpochSource } from './lease-stamp.js';
export { LeaseBoard, monotonicMs, type BoardLease } from './lease-board.js';
export { ThreadedLease, type ThreadedLeaseDeps, type ThreadedLeaseEvents } from './threaded-lease.js';
export type { FromLeaseThread, LeaseThreadData, RideStep, ToLeaseThread } from './lease-thread-protocol.js';
