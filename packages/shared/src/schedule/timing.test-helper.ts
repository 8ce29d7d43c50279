// Test-only arbitraries and builders for agent timing records.
import fc from 'fast-check';
import type { ReleaseMode } from '../protocol/enums.js';
import type { AgentTiming } from './lead-time.js';

export const ALL_MODES: readonly ReleaseMode[] = ['lead', 'hold', 'none'];

/** A quiet agent: zero jitter and spread, so its buffer is the floor (2 ms). */
export function agent(agentId: string, over: Partial<AgentTiming> = {}): AgentTiming {
  return {
    agentId,
    oneWayDelayMs: 10,
    jitterMs: 0,
    expectedProcessingMs: 50,
    processingSpreadMs: 0,
    confidence: 1,
    supportedModes: ALL_MODES,
    ...over,
  };
}

const ms = (max: number) => fc.double({ min: 0, max, noNaN: true, noDefaultInfinity: true });

export const timingFields = fc.record(
  {
    oneWayDelayMs: ms(500),
    jitterMs: ms(100),
    expectedProcessingMs: fc.oneof(ms(300), ms(60_000)),
    processingSpreadMs: ms(1000),
    medianProcessingMs: fc.oneof(ms(300), ms(60_000)),
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    supportedModes: fc.subarray([...ALL_MODES]),
  },
  { requiredKeys: ['oneWayDelayMs', 'jitterMs', 'expectedProcessingMs', 'processingSpreadMs', 'confidence', 'supportedModes'] },
);

/** 0..40 agents with unique ids. */
export const agentsArb = fc
  .uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), timingFields), { selector: ([id]) => id, maxLength: 40 })
  .map((rows): AgentTiming[] => rows.map(([agentId, fields]) => ({ agentId, ...fields })));
