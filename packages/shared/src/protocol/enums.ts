import { z } from 'zod';

/** Current protocol version; every message carries it in `v`. */
export const PROTOCOL_VERSION = 1;

/** Impedance classes of spec 2.2: A edge, B serverless, C persistent, D GPU, E local (Pi), F human. */
export const AgentClass = z.enum(['A', 'B', 'C', 'D', 'E', 'F']);
export type AgentClass = z.infer<typeof AgentClass>;

export const OperationalState = z.enum(['active', 'degraded', 'offline', 'quarantined']);
export type OperationalState = z.infer<typeof OperationalState>;

export const Verb = z.enum(['observe', 'orient', 'decide', 'act', 'record', 'sync']);
export type Verb = z.infer<typeof Verb>;

/** +1 READY, 0 TRANSIT, -1 CONFLICT (spec 1.4). */
export const TrinaryState = z.union([z.literal(1), z.literal(0), z.literal(-1)]);
export type TrinaryState = z.infer<typeof TrinaryState>;
export const READY = 1 as const;
export const TRANSIT = 0 as const;
export const CONFLICT = -1 as const;

/** 0 background .. 3 critical. */
export const Priority = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]);
export type Priority = z.infer<typeof Priority>;

/**
 * How an agent is made ready at T (DESIGN.md, timing model): `lead` sends each agent its
 * message at T minus its lead time; `hold` sends one message early and each agent waits for T
 * on its own offset-corrected clock; `none` sends at once (the naive baseline); `auto` lets
 * the lead pick the best mode each agent supports.
 */
export const ReleaseMode = z.enum(['lead', 'hold', 'none']);
export type ReleaseMode = z.infer<typeof ReleaseMode>;
export const RequestedReleaseMode = z.enum(['lead', 'hold', 'none', 'auto']);
export type RequestedReleaseMode = z.infer<typeof RequestedReleaseMode>;

export const RoutingStrategy = z.enum(['direct', 'broadcast', 'scatter-gather', 'pipeline']);
export type RoutingStrategy = z.infer<typeof RoutingStrategy>;

export const Scope = z.enum(['cluster', 'sector', 'global']);
export type Scope = z.infer<typeof Scope>;

export const BreakerAction = z.enum(['OPEN', 'HALF_OPEN', 'CLOSE']);
export type BreakerAction = z.infer<typeof BreakerAction>;

export const ConflictType = z.enum([
  'CONTEXT_DIVERGENCE',
  'DATA_CONTRADICTION',
  'TEMPORAL_PARADOX',
  'CAPABILITY_MISMATCH',
  'HASH_MISMATCH',
  'OTHER',
]);
export type ConflictType = z.infer<typeof ConflictType>;

/**
 * How a decided scatter-gather operation ended: SUCCESS (quorum met), PARTIAL (not met), or
 * FAILED_OVER (its lead died while it ran and the lead that took over could not complete it:
 * its deadline had passed beyond the resume grace, its plan was lost, or no agent answered).
 */
export const OperationStatus = z.enum(['SUCCESS', 'PARTIAL', 'FAILED_OVER']);
export type OperationStatus = z.infer<typeof OperationStatus>;

/** Degradation modes of spec 6.3, best first. */
export const MeshMode = z.enum(['FULL', 'DEGRADED_LIGHT', 'DEGRADED_MODERATE', 'DEGRADED_SEVERE', 'EMERGENCY']);
export type MeshMode = z.infer<typeof MeshMode>;

/** What an enrolled key may act as. */
export const Role = z.enum(['agent', 'lead', 'operator']);
export type Role = z.infer<typeof Role>;
