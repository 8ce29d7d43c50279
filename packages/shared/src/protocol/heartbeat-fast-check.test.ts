import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPlainHeartbeat } from './heartbeat-fast-check.js';
import { Heartbeat } from './messages.js';
import { PROTOCOL_VERSION } from './enums.js';
import { parseAuthenticated } from './wire.js';

/**
 * The fast check must agree with the zod schema: it may only say yes where zod accepts the
 * value and returns it unchanged, and for what a lead receives (JSON) it must say yes wherever
 * zod does so, or beats fall back to zod's cost for nothing.
 */

const num = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const messageId = fc.stringMatching(/^[A-Za-z0-9_.:-]{8,128}$/);
const capability = fc.stringMatching(/^[a-z0-9][a-z0-9_.:-]{0,63}$/);
const bool = fc.boolean();

const throttle = fc.record({
  raw: fc.integer({ min: 0, max: 0xffffffff }),
  under_voltage: bool,
  freq_capped: bool,
  throttled: bool,
  soft_temp_limit: bool,
  under_voltage_since_boot: bool,
  freq_capped_since_boot: bool,
  throttled_since_boot: bool,
  soft_temp_limit_since_boot: bool,
});

const sensor = fc.record(
  {
    sensor_id: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,47}$/),
    value: fc.oneof(num(-1e9, 1e9), bool, fc.string({ maxLength: 256 }), fc.constant(null)),
    unit: fc.string({ maxLength: 16 }),
    sampled_at: num(0, 8.64e15),
    seq: fc.nat(),
  },
  { requiredKeys: ['sensor_id', 'value', 'sampled_at', 'seq'] },
);

const heartbeat = fc.record(
  {
    v: fc.constant(PROTOCOL_VERSION),
    message_id: messageId,
    sender_id: id,
    created_at: num(0, 8.64e15),
    ttl_ms: num(0, 86_400_000),
    correlation_id: messageId,
    causation_id: messageId,
    kind: fc.constant('HEARTBEAT'),
    agent_id: id,
    cluster_id: id,
    seq: fc.maxSafeNat(),
    boot_id: id,
    t1: num(0, 8.64e15),
    impedance: fc.record({
      agent_id: id,
      agent_class: fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F'),
      sector_id: id,
      cluster_id: id,
      current_latency_ms: num(0, 86_400_000),
      current_processing_ms: num(0, 86_400_000),
      current_queue_depth: fc.integer({ min: 0, max: 1_000_000 }),
      last_heartbeat: num(0, 8.64e15),
      impedance_score: num(0, 1000),
      reliability_score: num(0, 1),
      drift_coefficient: num(0, 100),
      operational_state: fc.constantFrom('active', 'degraded', 'offline', 'quarantined'),
      current_context_hash: fc.oneof(fc.constant(''), fc.stringMatching(/^[0-9a-f]{64}$/)),
      capabilities: fc.array(capability, { maxLength: 64 }),
    }),
    clock: fc.record(
      {
        offset_ms: num(-8.64e15, 8.64e15),
        delay_ms: num(0, 86_400_000),
        drift_ppm: num(-1000, 1000),
        confidence: num(0, 1),
        error_bound_ms: num(0, 8.64e15),
        samples: fc.integer({ min: 0, max: 10_000 }),
        jitter_ms: num(0, 86_400_000),
      },
      { requiredKeys: ['offset_ms', 'delay_ms', 'drift_ppm', 'confidence', 'error_bound_ms', 'samples'] },
    ),
    health: fc.record({
      cpu_load_pct: nullable(num(0, 100)),
      temperature_c: nullable(num(-40, 125)),
      memory_used_pct: nullable(num(0, 100)),
      disk_used_pct: nullable(num(0, 100)),
      throttle: nullable(throttle),
      uptime_s: nullable(num(0, 1e10)),
      ntp_synchronized: nullable(bool),
    }),
    frozen: bool,
    outbox_depth: fc.maxSafeNat(),
    sensors: fc.array(sensor, { maxLength: 64 }),
  },
  { requiredKeys: ['v', 'message_id', 'sender_id', 'created_at', 'ttl_ms', 'kind', 'agent_id', 'cluster_id', 'seq', 't1', 'impedance', 'clock', 'health', 'frozen', 'outbox_depth'] },
);

/** Values near every bound of the schema, of every JSON type, to put anywhere in a heartbeat. */
const EDGE_VALUES: readonly unknown[] = [
  -8.7e15, -8.64e15, -86_400_001, -1001, -1000, -41, -40, -1, -0.5, 0, 0.5, 1, 1.5, 16, 17, 47, 48, 64, 65, 100, 100.5, 101, 125, 126, 256, 257, 1000, 1000.5, 1001,
  10_000, 10_001, 1_000_000, 1_000_001, 86_400_000, 86_400_001, 0xffffffff, 2 ** 32, 1e10, 1e10 + 1, 2 ** 53 - 1, 2 ** 53, 8.64e15, 8.7e15, 1e308,
  '', 'a', 'A', 'a b', 'a.b', 'a:b', '-a', 'G', 'E', 'active', 'paused', 'HEARTBEAT', 'PING', 'f'.repeat(64), 'F'.repeat(64), 'x'.repeat(16), 'x'.repeat(17), 'x'.repeat(48), 'x'.repeat(49), 'x'.repeat(65), 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(256), 'x'.repeat(257), 'msg-1234', 'msg-123',
  true, false, null, [], {}, ['gpio'], [1],
];
const edgeValue: fc.Arbitrary<unknown> = fc.oneof(fc.constantFrom(...EDGE_VALUES), fc.jsonValue({ maxDepth: 2 }));

type Mutation = { pick: number; op: 'set' | 'delete' | 'add'; value: unknown; key: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('set', 'set', 'delete', 'add'),
  value: edgeValue,
  key: fc.constantFrom('extra', 'jitter_ms', 'unit', 'boot_id', 'sensors', '__proto__', 'constructor', 'toString'),
});

/** Every (container, key) slot in a value, depth first. */
function slots(value: unknown, into: [Record<string | number, unknown>, string | number][] = []): [Record<string | number, unknown>, string | number][] {
  if (typeof value !== 'object' || value === null) return into;
  const container = value as Record<string | number, unknown>;
  for (const key of Object.keys(container)) {
    into.push([container, Array.isArray(container) ? Number(key) : key]);
    slots(container[key], into);
  }
  return into;
}

function mutate(value: unknown, mutations: readonly Mutation[]): unknown {
  // Built as a lead receives it: JSON text parsed (a "__proto__" key is then an own key).
  let text = JSON.stringify(value);
  for (const m of mutations) {
    const copy = JSON.parse(text) as unknown;
    const all = slots(copy);
    if (all.length === 0) break;
    const [container, key] = all[m.pick % all.length]!;
    if (m.op === 'set') container[key] = m.value;
    else if (m.op === 'delete' && Array.isArray(container)) container.splice(Number(key), 1);
    else if (m.op === 'delete') delete container[key];
    else if (!Array.isArray(container)) Object.defineProperty(container, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    text = JSON.stringify(copy);
  }
  return JSON.parse(text);
}

describe('isPlainHeartbeat', () => {
  it('takes every valid heartbeat, as zod does', () => {
    fc.assert(
      fc.property(heartbeat, (generated) => {
        // As a lead has it: parsed from JSON (fast-check also builds null-prototype records).
        const hb: unknown = JSON.parse(JSON.stringify(generated));
        expect(Heartbeat.safeParse(hb).success).toBe(true);
        expect(isPlainHeartbeat(hb)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with zod on altered heartbeats: yes only where zod accepts and returns the value unchanged, and there always', () => {
    fc.assert(
      fc.property(heartbeat, fc.array(mutation, { minLength: 1, maxLength: 3 }), (hb, mutations) => {
        const input = mutate(hb, mutations);
        const zod = Heartbeat.safeParse(input);
        const unchanged = zod.success && JSON.stringify(sortKeys(zod.data)) === JSON.stringify(sortKeys(input));
        expect(isPlainHeartbeat(input)).toBe(unchanged);
      }),
      { numRuns: 3_000 },
    );
  });

  it('agrees with zod for every edge value in every field of a full heartbeat, and every field left out', () => {
    // Every optional part present (a throttle block and two sensors), so each field is reached.
    const [sample] = fc.sample(heartbeat, { numRuns: 1, seed: 7 });
    const full = JSON.parse(JSON.stringify({
      ...sample,
      correlation_id: 'corr-0001',
      causation_id: 'cause-001',
      boot_id: 'boot-1',
      clock: { offset_ms: 1, delay_ms: 2, drift_ppm: 3, confidence: 0.5, error_bound_ms: 4, samples: 5, jitter_ms: 6 },
      health: { cpu_load_pct: 1, temperature_c: 40, memory_used_pct: 2, disk_used_pct: 3, throttle: { raw: 5, under_voltage: true, freq_capped: false, throttled: false, soft_temp_limit: false, under_voltage_since_boot: true, freq_capped_since_boot: false, throttled_since_boot: false, soft_temp_limit_since_boot: false }, uptime_s: 9, ntp_synchronized: true },
      sensors: [{ sensor_id: 's1', value: 1.5, unit: 'C', sampled_at: 1, seq: 1 }, { sensor_id: 's2', value: 'on', sampled_at: 2, seq: 2 }],
      impedance: { ...(sample!.impedance as object), capabilities: ['gpio', 'route'] },
    })) as unknown;
    expect(isPlainHeartbeat(full)).toBe(true);
    const values = [...EDGE_VALUES, ...fc.sample(fc.jsonValue({ maxDepth: 2 }), { numRuns: 20, seed: 3 })];
    const count = slots(full).length;
    let checked = 0;
    for (let n = 0; n < count; n++) {
      const alter = (change: (container: Record<string | number, unknown>, key: string | number) => void): unknown => {
        const copy = JSON.parse(JSON.stringify(full)) as unknown;
        const [container, key] = slots(copy)[n]!;
        change(container, key);
        return JSON.parse(JSON.stringify(copy));
      };
      const cases = [
        ...values.map((value) => alter((c, k) => (c[k] = value))),
        alter((c, k) => (Array.isArray(c) ? c.splice(Number(k), 1) : delete c[k])),
        alter((c) => {
          if (!Array.isArray(c)) c.extra = 1;
        }),
      ];
      for (const input of cases) {
        const zod = Heartbeat.safeParse(input);
        const unchanged = zod.success && JSON.stringify(sortKeys(zod.data)) === JSON.stringify(sortKeys(input));
        expect(isPlainHeartbeat(input), JSON.stringify(input)).toBe(unchanged);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5_000);
  });

  it('says no to what zod would change or refuse outside JSON: undefined optionals, other prototypes, non-objects', () => {
    const hb = JSON.parse(JSON.stringify(fc.sample(heartbeat, { numRuns: 1, seed: 15 })[0])) as Record<string, unknown>;
    expect(isPlainHeartbeat(hb)).toBe(true);
    expect(isPlainHeartbeat({ ...hb, boot_id: undefined })).toBe(false);
    expect(isPlainHeartbeat(Object.assign(Object.create(null) as object, hb))).toBe(false);
    expect(isPlainHeartbeat(null)).toBe(false);
    expect(isPlainHeartbeat([hb])).toBe(false);
    expect(isPlainHeartbeat('HEARTBEAT')).toBe(false);
  });
});

describe('parseAuthenticated on heartbeats', () => {
  it('refuses a bad heartbeat with zod\'s message, and returns a good one as sent', () => {
    fc.assert(
      fc.property(heartbeat, fc.array(mutation, { minLength: 0, maxLength: 2 }), (hb, mutations) => {
        const input = mutations.length === 0 ? hb : mutate(hb, mutations);
        const signer = (input as { sender_id?: unknown }).sender_id;
        const signerId = typeof signer === 'string' ? signer : 'agent-1';
        const result = parseAuthenticated(new TextEncoder().encode(JSON.stringify(input)), signerId, { accept: ['HEARTBEAT'] });
        const zod = Heartbeat.safeParse(input);
        if (!zod.success) {
          const issue = zod.error.issues[0];
          const path = issue ? issue.path.map(String).join('.') : '';
          // Kind and version are checked before the schema, with their own codes.
          if (result.ok) throw new Error('a heartbeat zod refuses was accepted');
          if (result.error.code === 'INVALID_FIELDS') expect(result.error.message).toBe(`HEARTBEAT.${path || '(root)'}: ${issue?.message ?? 'invalid'}`);
        } else if (result.ok) {
          expect(sortKeys(result.value.message)).toEqual(sortKeys(zod.data));
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
}
