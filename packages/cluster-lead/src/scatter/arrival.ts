/**
 * Ready times in mesh time, and the arrival-error distribution. An ACK carries the agent's own
 * conversion (ready_at_mesh); the lead also converts ready_at_local with the offset the agent
 * last reported, so the two views can be compared and an agent whose clock estimate went wrong
 * between heartbeats shows up as a disagreement.
 */
import { RollingSamples, TRANSIT, isTransitRefusal } from '@mesh30k/shared';
import type { Ack } from '@mesh30k/shared';
import type { AgentClockView, AgentOutcome } from './ports.js';
import type { AgentArrival, ArrivalBasis, ArrivalDistribution, PlannedAgent } from './record.js';

const PPM = 1e-6;
const PERCENTILES = [50, 90, 99] as const;

/** The lead's conversion of an agent-clock instant to mesh time, or null without a clock view. */
export function leadConversion(clock: AgentClockView | null, localMs: number): number | null {
  if (clock === null) return null;
  return localMs + clock.offsetMs - clock.driftPpm * PPM * (localMs - clock.atLocalMs);
}

export function outcomeOf(ack: Ack): AgentOutcome {
  if (ack.refusal !== undefined) return ack.trinary_state === TRANSIT && isTransitRefusal(ack.refusal.code) ? 'unrunnable' : 'refused';
  switch (ack.trinary_state) {
    case 1:
      return 'ready';
    case 0:
      return 'transit';
    case -1:
      return 'conflict';
  }
}

export interface ArrivalInput {
  readonly ack: Ack;
  readonly planned: PlannedAgent;
  readonly clock: AgentClockView | null;
  readonly targetMs: number;
  readonly windowMs: number;
  readonly basis: ArrivalBasis;
  readonly sentAt: number | null;
  readonly receivedAt: number;
}

export function toArrival(input: ArrivalInput): AgentArrival {
  const { ack } = input;
  const fromLead = leadConversion(input.clock, ack.ready_at_local);
  // The lead's view is used only when it exists; otherwise the agent's own is all there is.
  const basis: ArrivalBasis = input.basis === 'lead' && fromLead !== null ? 'lead' : 'agent';
  const readyAtMesh = basis === 'lead' && fromLead !== null ? fromLead : ack.ready_at_mesh;
  const arrivalErrorMs = readyAtMesh - input.targetMs;
  return {
    agentId: ack.agent_id,
    mode: input.planned.mode,
    trinaryState: ack.trinary_state,
    outcome: outcomeOf(ack),
    sentAt: input.sentAt,
    receivedAt: input.receivedAt,
    readyAtMesh,
    basis,
    readyAtMeshAgent: ack.ready_at_mesh,
    readyAtMeshLead: fromLead,
    arrivalErrorMs,
    inWindow: Math.abs(arrivalErrorMs) <= input.windowMs,
    processingMs: ack.processing_ms,
    late: ack.late,
    refusal: ack.refusal ?? null,
  };
}

/** Distribution over the READY arrivals. */
export function arrivalDistribution(arrivals: readonly AgentArrival[], basis: ArrivalBasis, windowMs: number): ArrivalDistribution {
  const ready = arrivals.filter((a) => a.outcome === 'ready');
  if (ready.length === 0) {
    return { basis, count: 0, windowMs, abs: null, signed: null, hitRate: null, basisDisagreementMaxMs: null };
  }
  const abs = new RollingSamples(ready.length);
  const signed = new RollingSamples(ready.length);
  let hits = 0;
  let disagreement: number | null = null;
  for (const a of ready) {
    abs.add(Math.abs(a.arrivalErrorMs));
    signed.add(a.arrivalErrorMs);
    if (a.inWindow) hits += 1;
    if (a.readyAtMeshLead !== null) disagreement = Math.max(disagreement ?? 0, Math.abs(a.readyAtMeshLead - a.readyAtMeshAgent));
  }
  return {
    basis,
    count: ready.length,
    windowMs,
    abs: percentiles(abs),
    signed: { ...percentiles(signed), min: signed.min() ?? 0, mean: signed.mean() ?? 0 },
    hitRate: hits / ready.length,
    basisDisagreementMaxMs: disagreement,
  };
}

function percentiles(samples: RollingSamples): { p50: number; p90: number; p99: number; max: number } {
  const [p50 = 0, p90 = 0, p99 = 0] = samples.percentiles(PERCENTILES);
  return { p50, p90, p99, max: samples.max() ?? 0 };
}
