import { MeshError } from '../lib/errors.js';
import type { Priority } from '../protocol/enums.js';
import { BACKGROUND_PRIORITY, CRITICAL_PRIORITY, URGENT_PRIORITY, type ModeRestrictions } from './restrictions.js';

export interface OperationRequest {
  /** Agents the operation would reach. */
  readonly targetCount: number;
  readonly meshWide: boolean;
  /** Started by the system rather than by an operator. */
  readonly automated: boolean;
  readonly priority: Priority;
  /** An operator explicitly confirmed this operation; waives every restriction, and says so. */
  readonly operatorOverride?: boolean;
}

export type RefusalCode =
  | 'AUTOMATION_HALTED'
  | 'OPERATOR_OVERRIDE_REQUIRED'
  | 'SCATTER_TOO_LARGE'
  | 'CRITICAL_ONLY'
  | 'BACKGROUND_DISABLED'
  | 'NON_URGENT_QUEUED';

export interface Refusal {
  readonly code: RefusalCode;
  /** `queue`: hold the operation and run it when the mode improves; `refuse`: reject it. */
  readonly disposition: 'refuse' | 'queue';
  readonly reason: string;
}

export type Admission =
  | { readonly allowed: true; readonly waived: readonly Refusal[] }
  | ({ readonly allowed: false; readonly all: readonly Refusal[] } & Refusal);

/**
 * Whether the current mode lets an operation run. Every restriction that applies is listed;
 * the first (most serious) decides. With an operator override the operation runs and the
 * waived restrictions are returned for the audit log.
 */
export function admitOperation(r: ModeRestrictions, op: OperationRequest): Admission {
  if (!(Number.isSafeInteger(op.targetCount) && op.targetCount >= 0)) {
    throw new MeshError('INVALID_ARGUMENT', `targetCount must be a non-negative integer, got ${op.targetCount}`, {
      path: 'targetCount',
    });
  }
  const found: Refusal[] = [];
  const refuse = (code: RefusalCode, reason: string): void => {
    found.push({ code, disposition: 'refuse', reason });
  };
  if (r.automatedOperationsHalted && op.automated) {
    refuse('AUTOMATION_HALTED', `automated operations are halted in ${r.mode}`);
  }
  if (r.requiresOperatorOverrideForMeshWide && op.meshWide) {
    refuse('OPERATOR_OVERRIDE_REQUIRED', `mesh-wide operations need an operator override in ${r.mode}`);
  }
  if (r.maxScatterSize !== null && op.targetCount > r.maxScatterSize) {
    refuse('SCATTER_TOO_LARGE', `${op.targetCount} targets exceed the ${r.maxScatterSize} allowed in ${r.mode}`);
  }
  if (r.criticalOnly && op.priority < CRITICAL_PRIORITY) {
    refuse('CRITICAL_ONLY', `only priority ${CRITICAL_PRIORITY} operations run in ${r.mode}`);
  }
  if (r.backgroundTasksDisabled && op.automated && op.priority === BACKGROUND_PRIORITY) {
    refuse('BACKGROUND_DISABLED', `background work is paused in ${r.mode}`);
  }
  if (r.queueNonUrgent && op.priority < URGENT_PRIORITY) {
    found.push({
      code: 'NON_URGENT_QUEUED',
      disposition: 'queue',
      reason: `priority ${op.priority} operations wait for a better mode than ${r.mode}`,
    });
  }

  const [first] = found;
  if (first === undefined || op.operatorOverride === true) return { allowed: true, waived: found };
  return { allowed: false, ...first, all: found };
}
