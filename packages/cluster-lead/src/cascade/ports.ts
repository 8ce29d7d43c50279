/**
 * The narrow interfaces the cascade service depends on. The composition root (main.ts) passes
 * the scatter engine's `submit`, the registry's read side and the NATS connection; tests pass
 * the same pieces built by hand. Nothing here opens a socket or a file.
 */
import type { Clock, Ed25519, KeyResolver, MeshMode, Signer } from '@mesh30k/shared';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { OperationOutcome } from '../scatter/engine.js';
import type { OperationRequestInput } from '../scatter/operation-request.js';
import type { ScatterTargets } from '../scatter/ports.js';
import type { ChildTableStore } from './child-table.js';

/** What `runScatter` hands back: the scatter engine's SubmitHandle, narrowed to what the cascade reads. */
export interface ScatterRunHandle {
  readonly operationId: string | null;
  readonly admission: 'started' | 'queued' | 'refused';
  /** Settles when the operation is decided or refused; never rejects. */
  readonly outcome: Promise<OperationOutcome>;
}

/**
 * Runs one scatter-gather on this lead's own agents. main.ts passes
 * `(request) => engine.submit(request)`; `ScatterEngine.submit` has exactly this shape.
 */
export type RunScatter = (request: OperationRequestInput) => Promise<ScatterRunHandle>;

/** This lead's own agents (not its child leads), as the summary needs them. */
export interface SubtreeSource {
  /** The registry's read side (registryPorts(registry).targets): `select({ all: true })` lists every agent. */
  readonly targets: ScatterTargets;
  /** Impedance score 0..1000 of one agent, or undefined when unknown. */
  impedanceScore(agentId: string): number | undefined;
  /** This lead's degradation mode. */
  mode(): MeshMode;
  /** Whether this lead's cluster (or sector, or the mesh) is frozen. */
  frozen(): boolean;
}

/** Where this lead sits in the hierarchy. */
export interface CascadeIdentity {
  readonly leadId: string;
  readonly clusterId: string;
  readonly sectorId?: string | undefined;
  readonly signer: Signer;
}

/** The parent lead this one reports to (config `parent`), with the key its frames are checked with. */
export interface ParentLead {
  readonly leadId: string;
  readonly resolveKey: KeyResolver;
}

export interface CascadeDeps {
  /** This lead's clock: its mesh time, the one its own agents and engine run on. */
  readonly clock: Clock;
  readonly identity: CascadeIdentity;
  /** Already connected; the client reconnects by itself (NatsLink.onConnected gives it). */
  readonly connection: NatsConnection;
  /** Verifies what children and the parent sign (nodeEd25519 in a lead). */
  readonly ed25519: Ed25519;
  readonly runScatter: RunScatter;
  readonly subtree: SubtreeSource;
  /**
   * Keys of the child leads allowed to report here (trustedKeyResolver(trust)); a signer must
   * also pass `isChildLead` when given (e.g. enrolled with role `lead`).
   */
  readonly resolveChildKey: KeyResolver;
  readonly isChildLead?: (signerId: string) => boolean;
  /** Absent for the root of the mesh. */
  readonly parent?: ParentLead | undefined;
  /** Keeps the child-lead table across restarts; absent, it is rebuilt from summaries. */
  readonly childStore?: ChildTableStore;
  readonly logger: Logger;
}
