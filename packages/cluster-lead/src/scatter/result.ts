/** Turns what was gathered into the operation's result: quorum (shared), status and figures. */
import { trinaryQuorum } from '@mesh30k/shared';
import type { ReleaseMode, Refusal } from '@mesh30k/shared';
import { arrivalDistribution } from './arrival.js';
import type { AckCollector } from './collector.js';
import type { ResolvedOperation } from './operation-request.js';
import type { Plan } from './plan.js';
import type { ArrivalBasis, Interruption, OperationTimings, ScatterResult } from './record.js';

export interface ResultInput {
  readonly op: ResolvedOperation;
  readonly plan: Plan;
  readonly collector: AckCollector;
  readonly basis: ArrivalBasis;
  readonly timings: Omit<OperationTimings, 'targetTime' | 'targetChoice' | 'targetSetBy' | 'capped' | 'firstSendAt' | 'lastSendAt'>;
  readonly waived: readonly Refusal[];
  readonly interrupted?: Interruption;
}

export function buildResult(input: ResultInput): ScatterResult {
  const { op, plan, collector } = input;
  const arrivals = collector.allArrivals();
  const conflicts = arrivals.filter((a) => a.trinaryState === -1);
  const responders = arrivals.filter((a) => a.trinaryState !== -1);
  const ready = arrivals.filter((a) => a.trinaryState === 1).length;
  const transit = arrivals.filter((a) => a.trinaryState === 0).length;
  const quorum = trinaryQuorum(
    { ready, transit, conflict: conflicts.length, expected: collector.sentCount },
    { requiredReadyRate: op.minResponseRate, maxConflictRate: op.maxConflictRate, maxTransitRate: op.maxTransitRate },
  );
  const skipped = [...plan.skipped, ...collector.sendFailures()];
  const stragglers = collector.stragglers();
  const sends = collector.sendTimes();
  const modes: Record<ReleaseMode, number> = { lead: 0, hold: 0, none: 0 };
  for (const p of plan.planned) if (collector.wasSent(p.agentId)) modes[p.mode] += 1;
  return {
    operationId: op.operationId,
    status: input.interrupted?.failedOver !== undefined ? 'FAILED_OVER' : quorum.decision === 'PROCEED' ? 'SUCCESS' : 'PARTIAL',
    decision: quorum.decision,
    quorum,
    requestedMode: op.releaseMode,
    modes,
    counts: {
      selected: plan.selected.length,
      sent: collector.sentCount,
      skipped: skipped.length,
      ready,
      transit,
      conflicts: conflicts.length,
      refused: arrivals.filter((a) => a.outcome === 'refused').length,
      unrunnable: arrivals.filter((a) => a.outcome === 'unrunnable').length,
      stragglers: stragglers.length,
    },
    responders,
    conflicts,
    stragglers,
    skipped,
    arrival: arrivalDistribution(arrivals, input.basis, op.arrivalWindowMs),
    timings: {
      ...input.timings,
      targetTime: plan.targetMs,
      targetChoice: plan.targetChoice,
      targetSetBy: plan.targetSetBy,
      capped: plan.capped,
      firstSendAt: sends.length === 0 ? null : sends.reduce((a, b) => Math.min(a, b)),
      lastSendAt: sends.length === 0 ? null : sends.reduce((a, b) => Math.max(a, b)),
    },
    waived: input.waived,
    ...(input.interrupted === undefined ? {} : { interrupted: input.interrupted }),
  };
}
