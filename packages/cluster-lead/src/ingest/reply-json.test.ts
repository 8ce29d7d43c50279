import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MESSAGE_SCHEMAS, MeshMode, PROTOCOL_VERSION, type HeartbeatReply } from '@mesh30k/shared';
import { heartbeatReplyJson } from './reply-json.js';

const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const time = fc.double({ min: 0, max: 8.64e15, noNaN: true, noDefaultInfinity: true });

/** Fields in the order the lead's reply() sets them. */
const reply = fc
  .record(
    {
      message_id: fc.stringMatching(/^[A-Za-z0-9_.:-]{8,128}$/),
      sender_id: id,
      created_at: time,
      ttl_ms: fc.double({ min: 0, max: 86_400_000, noNaN: true, noDefaultInfinity: true }),
      agent_id: id,
      accepted: fc.boolean(),
      // Refusal texts carry quotes, backslashes, newlines and non-ASCII: escaped as JSON does.
      reason: fc.string({ maxLength: 512, unit: 'grapheme' }),
      reason_code: fc.oneof(fc.constantFrom('REPLAYED', 'NOT_ENROLLED'), fc.string({ maxLength: 64 })),
      t1: time,
      t2: time,
      t3: time,
      frozen: fc.boolean(),
      config_epoch: fc.nat(),
      mode: fc.constantFrom(...MeshMode.options),
      heartbeat_interval_ms: fc.integer({ min: 0, max: 86_400_000 }),
      lease_epoch: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    },
    { requiredKeys: ['message_id', 'sender_id', 'created_at', 'ttl_ms', 'agent_id', 'accepted', 't1', 't2', 't3', 'frozen', 'config_epoch', 'mode'] },
  )
  // As the lead's reply() builds it: an absent field is an undefined value, which JSON leaves out.
  .map((f): HeartbeatReply => ({
    v: PROTOCOL_VERSION,
    message_id: f.message_id,
    sender_id: f.sender_id,
    created_at: f.created_at,
    ttl_ms: f.ttl_ms,
    kind: 'HEARTBEAT_REPLY',
    agent_id: f.agent_id,
    accepted: f.accepted,
    reason: f.reason,
    reason_code: f.reason_code,
    t1: f.t1,
    t2: f.t2,
    t3: f.t3,
    frozen: f.frozen,
    config_epoch: f.config_epoch,
    mode: f.mode,
    heartbeat_interval_ms: f.heartbeat_interval_ms,
    lease_epoch: f.lease_epoch,
  }));

describe('heartbeatReplyJson', () => {
  it('writes the text JSON.stringify writes, which the reply schema accepts', () => {
    fc.assert(
      fc.property(reply, (r) => {
        const text = heartbeatReplyJson(r);
        expect(text).toBe(JSON.stringify(r));
        expect(MESSAGE_SCHEMAS.HEARTBEAT_REPLY.safeParse(JSON.parse(text)).success).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('leaves a number JSON writes as null to JSON.stringify', () => {
    const [r] = fc.sample(reply, { numRuns: 1, seed: 15 });
    const odd = { ...r!, t2: Number.NaN };
    expect(heartbeatReplyJson(odd)).toBe(JSON.stringify(odd));
  });
});
