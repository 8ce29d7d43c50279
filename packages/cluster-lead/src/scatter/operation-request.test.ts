import { WIRE_LIMITS } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { parseOperation } from './operation-request.js';

const base = { verb: 'act', targets: { all: true } };
const newId = () => 'op-1';

describe('parseOperation: the payload within the wire limits', () => {
  it('takes a payload at the byte limit', () => {
    const payload = 'x'.repeat(WIRE_LIMITS.maxPayloadBytes - 2);
    expect(parseOperation({ ...base, payload }, newId)).toMatchObject({ ok: true });
  });

  it('refuses a payload over the byte limit as PAYLOAD_TOO_LARGE, naming the field and the limit', () => {
    const refused = parseOperation({ ...base, payload: { blob: 'x'.repeat(200_000) } }, newId);
    expect(refused).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE', path: 'payload', limit: 'bytes' } });
    if (!refused.ok) expect(refused.error.reason).toContain(String(WIRE_LIMITS.maxPayloadBytes));
  });

  it('refuses a payload nested thousands deep as INVALID_OPERATION on payload, without a stack overflow', () => {
    let payload: unknown = 0;
    for (let i = 0; i < 5_000; i++) payload = [payload];
    const refused = parseOperation({ ...base, payload }, newId);
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_OPERATION', path: 'payload', limit: 'depth' } });
    if (!refused.ok) expect(refused.error.reason).toContain(`${WIRE_LIMITS.maxPayloadDepth} levels`);
  });

  it('refuses a payload with too many keys', () => {
    const payload = Object.fromEntries(Array.from({ length: WIRE_LIMITS.maxPayloadKeys + 1 }, (_, i) => [`k${i}`, i]));
    expect(parseOperation({ ...base, payload }, newId)).toMatchObject({ ok: false, error: { code: 'INVALID_OPERATION', path: 'payload', limit: 'keys' } });
  });

  it('other invalid fields carry no limit', () => {
    expect(parseOperation({ ...base, payload: 1, priority: 99 }, newId)).toMatchObject({ ok: false, error: { code: 'INVALID_OPERATION', path: 'priority' } });
    const refused = parseOperation({ ...base, payload: 1, priority: 99 }, newId);
    expect(refused.ok || refused.error.limit).toBeUndefined();
  });
});

describe('parseOperation: capabilities the verb implies', () => {
  it('act naming an output requires act:<output> beside the listed ones, once', () => {
    const parsed = parseOperation({ ...base, payload: { action: 'set', output: 'relay', value: true }, requiresCapabilities: ['gpio', 'act:relay'] }, newId);
    expect(parsed).toMatchObject({ ok: true, value: { requiresCapabilities: ['gpio', 'act:relay'] } });
    const pulse = parseOperation({ ...base, payload: { action: 'pulse', output: 'door-lock', duration_ms: 500 } }, newId);
    expect(pulse).toMatchObject({ ok: true, value: { requiresCapabilities: ['act:door-lock'] } });
  });

  it('implies nothing for act without an output, an unspellable output, or another verb', () => {
    for (const raw of [
      { ...base, payload: { action: 'identify' } },
      { ...base, payload: { command: 'arm' } },
      { ...base, payload: { action: 'set', output: 'Not A Name', value: true } },
      { ...base, payload: ['output'] },
      { verb: 'observe', targets: { all: true }, payload: { output: 'relay' } },
    ]) {
      expect(parseOperation(raw, newId)).toMatchObject({ ok: true, value: { requiresCapabilities: [] } });
    }
  });
});
