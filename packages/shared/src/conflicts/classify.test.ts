import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflictType } from '../protocol/enums.js';
import {
  CONFLICT_LIMITS,
  ConflictDetail,
  RESOLUTION_STRATEGIES,
  conflictPriority,
  escalationFor,
  suggestResolution,
  triageConflict,
  type ConflictPriority,
} from './classify.js';

const HASH = 'ab'.repeat(32);
const detail = (o: Partial<ConflictDetail> = {}): ConflictDetail => ({
  type: 'OTHER',
  expected_value: '"22.5"',
  received_value: '"23.1"',
  context_hash: HASH,
  detail: 'sensor reading disagrees',
  ...o,
});

describe('conflictPriority', () => {
  it.each<[Partial<ConflictDetail>, ConflictPriority]>([
    [{ type: 'CONTEXT_DIVERGENCE', divergence_depth: 10 }, 2],
    [{ type: 'CONTEXT_DIVERGENCE', divergence_depth: 11 }, 3],
    [{ type: 'CONTEXT_DIVERGENCE' }, 2],
    [{ type: 'DATA_CONTRADICTION', affects_agent_count: 100 }, 2],
    [{ type: 'DATA_CONTRADICTION', affects_agent_count: 101 }, 3],
    [{ type: 'DATA_CONTRADICTION' }, 2],
    [{ type: 'TEMPORAL_PARADOX' }, 4],
    [{ type: 'CAPABILITY_MISMATCH' }, 1],
    [{ type: 'HASH_MISMATCH' }, 4],
    [{ type: 'OTHER' }, 2],
  ])('%o -> %i', (d, p) => {
    expect(conflictPriority(detail(d))).toBe(p);
  });

  it('takes overridden thresholds', () => {
    expect(conflictPriority(detail({ type: 'CONTEXT_DIVERGENCE', divergence_depth: 6 }), { divergenceDepthAbove: 5 })).toBe(3);
    expect(conflictPriority(detail({ type: 'DATA_CONTRADICTION', affects_agent_count: 20 }), { affectedAgentsAbove: 10 })).toBe(3);
  });
});

describe('escalationFor', () => {
  it.each<[ConflictPriority, string]>([
    [0, 'none'],
    [1, 'none'],
    [2, 'none'],
    [3, 'parent'],
    [4, 'orchestrator'],
  ])('priority %i -> %s', (p, e) => {
    expect(escalationFor(p)).toBe(e);
  });

  it('escalates each type as its priority says', () => {
    const byType = Object.fromEntries(ConflictType.options.map((type) => [type, triageConflict(detail({ type })).escalation]));
    expect(byType).toEqual({
      CONTEXT_DIVERGENCE: 'none',
      DATA_CONTRADICTION: 'none',
      TEMPORAL_PARADOX: 'orchestrator',
      CAPABILITY_MISMATCH: 'none',
      HASH_MISMATCH: 'orchestrator',
      OTHER: 'none',
    });
    expect(triageConflict(detail({ type: 'DATA_CONTRADICTION', affects_agent_count: 500 }))).toMatchObject({
      priority: 3,
      escalation: 'parent',
      resolveWithinMs: 60_000,
      strategy: { method: 'TRACE_ORIGIN' },
    });
  });
});

describe('suggestResolution', () => {
  it('has a distinct method with steps for every conflict type', () => {
    const methods = ConflictType.options.map((t) => suggestResolution(t).method);
    expect(new Set(methods).size).toBe(ConflictType.options.length);
    for (const t of ConflictType.options) expect(RESOLUTION_STRATEGIES[t].steps.length).toBeGreaterThan(0);
    expect(suggestResolution('HASH_MISMATCH').method).toBe('ISOLATE_AND_RELOAD');
  });
});

describe('ConflictDetail schema', () => {
  it('accepts a well-formed detail and keeps its snake_case fields', () => {
    const parsed = ConflictDetail.parse(detail({ type: 'CONTEXT_DIVERGENCE', divergence_depth: 12 }));
    expect(parsed.divergence_depth).toBe(12);
    expect(parsed.context_hash).toBe(HASH);
  });

  it.each([
    ['unknown type', { type: 'NOPE' }],
    ['short hash', { context_hash: 'abc' }],
    ['oversized value', { expected_value: 'x'.repeat(CONFLICT_LIMITS.maxValueChars + 1) }],
    ['oversized detail', { detail: 'x'.repeat(CONFLICT_LIMITS.maxDetailChars + 1) }],
    ['fractional depth', { divergence_depth: 1.5 }],
    ['negative count', { affects_agent_count: -1 }],
    ['huge count', { affects_agent_count: CONFLICT_LIMITS.maxAffectedAgents + 1 }],
  ])('rejects %s', (_name, bad) => {
    expect(ConflictDetail.safeParse({ ...detail(), ...bad }).success).toBe(false);
  });

  it('property: every valid detail gets a priority in 0..4 consistent with its escalation', () => {
    const arb = fc.record({
      type: fc.constantFrom(...ConflictType.options),
      divergence_depth: fc.option(fc.nat(1_000), { nil: undefined }),
      affects_agent_count: fc.option(fc.nat(100_000), { nil: undefined }),
    });
    fc.assert(
      fc.property(arb, (d) => {
        const t = triageConflict(ConflictDetail.parse(detail(d)));
        expect([0, 1, 2, 3, 4]).toContain(t.priority);
        expect(t.escalation === 'orchestrator').toBe(t.priority >= 4);
        expect(t.escalation === 'parent').toBe(t.priority === 3);
      }),
    );
  });
});
