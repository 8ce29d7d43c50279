import { describe, expect, it } from 'vitest';
import { parseAgentImpedance } from './agent-impedance.js';
import type { AgentImpedance } from './agent-impedance.js';

const valid: AgentImpedance = {
  agent_id: 'pi-017',
  agent_class: 'E',
  sector_id: 'sector-3',
  cluster_id: 'cluster-12',
  current_latency_ms: 24.5,
  current_processing_ms: 140,
  current_queue_depth: 2,
  last_heartbeat: 1_760_000_000_000,
  impedance_score: 301.2,
  reliability_score: 0.98,
  drift_coefficient: 0.12,
  operational_state: 'active',
  current_context_hash: 'a'.repeat(64),
  capabilities: ['sensor.temperature', 'gpio'],
};

/** The path of the first issue, or undefined when the value parses. */
function failingPath(value: unknown): string | undefined {
  const r = parseAgentImpedance(value);
  if (r.ok) return undefined;
  expect(r.error.code).toBe('INVALID_FIELDS');
  return r.error.path;
}

describe('AgentImpedance schema', () => {
  it('accepts a well-formed record, including an empty context hash', () => {
    expect(parseAgentImpedance(valid)).toEqual({ ok: true, value: valid });
    expect(failingPath({ ...valid, current_context_hash: '' })).toBeUndefined();
  });

  it.each([
    ['current_latency_ms', -1],
    ['current_latency_ms', 86_400_001],
    ['current_latency_ms', Infinity],
    ['current_processing_ms', -0.5],
    ['current_queue_depth', -1],
    ['current_queue_depth', 1.5],
    ['current_queue_depth', 1_000_001],
    ['last_heartbeat', -1],
    ['last_heartbeat', 9e15],
    ['impedance_score', -0.1],
    ['impedance_score', 1000.1],
    ['reliability_score', 1.01],
    ['reliability_score', -0.01],
    ['drift_coefficient', -0.01],
    ['drift_coefficient', 101],
    ['impedance_score', Number.NaN],
  ] as const)('rejects %s = %s with a path naming the field', (field, value) => {
    expect(failingPath({ ...valid, [field]: value })).toBe(field);
  });

  it.each([
    ['agent_id', ''],
    ['agent_id', 'a.b'],
    ['agent_id', 'x'.repeat(65)],
    ['sector_id', 'has space'],
    ['cluster_id', 42],
    ['agent_class', 'G'],
    ['operational_state', 'sleeping'],
    ['current_context_hash', 'ABC'],
    ['current_context_hash', 'g'.repeat(64)],
  ] as const)('rejects %s = %j', (field, value) => {
    expect(failingPath({ ...valid, [field]: value })).toBe(field);
  });

  it('bounds the capability list and each capability', () => {
    expect(failingPath({ ...valid, capabilities: Array.from({ length: 65 }, (_, i) => `c${i}`) })).toBe('capabilities');
    expect(failingPath({ ...valid, capabilities: ['ok', 'Not Ok'] })).toBe('capabilities.1');
    expect(failingPath({ ...valid, capabilities: ['x'.repeat(65)] })).toBe('capabilities.0');
  });

  it('names a missing field', () => {
    const { reliability_score: _dropped, ...rest } = valid;
    expect(failingPath(rest)).toBe('reliability_score');
  });

  it('rejects a non-object at the root', () => {
    expect(failingPath('nope')).toBe('');
  });
});
