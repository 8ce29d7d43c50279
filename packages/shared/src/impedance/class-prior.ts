import { MeshError } from '../lib/errors.js';
import type { AgentClass } from '../protocol/enums.js';

/**
 * The spec's processing-time model (3.1, estimate_processing_time), used as the prior until an
 * agent has measurements of its own: base(class) x (1 + 0.5 weight) x (1 + 0.1 queue).
 */

/** Base processing time per class, ms: A edge, B serverless, C persistent, D GPU, E Pi, F human. */
export const CLASS_BASE_MS: Readonly<Record<AgentClass, number>> = Object.freeze({
  A: 10,
  B: 50,
  C: 200,
  D: 100,
  E: 150,
  F: 60_000,
});

/** Each unit of payload weight adds half the base time. */
export const PAYLOAD_WEIGHT_FACTOR = 0.5;
/** Each queued operation adds a tenth. */
export const QUEUE_DEPTH_FACTOR = 0.1;

/** The multiplier the conditions apply to a base time; throws on negative or non-finite input. */
export function conditionFactor(payloadWeight: number, queueDepth: number): number {
  checkCondition(payloadWeight, 'payloadWeight');
  checkCondition(queueDepth, 'queueDepth');
  return (1 + payloadWeight * PAYLOAD_WEIGHT_FACTOR) * (1 + queueDepth * QUEUE_DEPTH_FACTOR);
}

/** The spec formula, evaluated in the spec's order of operations. */
export function classPriorMs(agentClass: AgentClass, payloadWeight = 0, queueDepth = 0): number {
  checkCondition(payloadWeight, 'payloadWeight');
  checkCondition(queueDepth, 'queueDepth');
  const base = CLASS_BASE_MS[agentClass];
  return base * (1 + payloadWeight * PAYLOAD_WEIGHT_FACTOR) * (1 + queueDepth * QUEUE_DEPTH_FACTOR);
}

function checkCondition(value: number, path: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new MeshError('INVALID_ARGUMENT', `${path} must be a finite number >= 0, got ${value}`, { path });
  }
}
