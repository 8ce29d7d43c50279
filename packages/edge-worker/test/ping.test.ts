import { describe, expect, it } from 'vitest';
import type { Ping } from '@mesh30k/shared';
import { AGENT_ID, header, ping, postPing, readProblem, readSigned } from './support/lead.js';

describe('POST /v1/ping', () => {
  it('answers a signed PONG with t1 echoed and t2 <= t3 on the Worker clock', async () => {
    const request = ping();
    const before = Date.now();
    const pong = await readSigned(await postPing(request), 'PONG');
    const after = Date.now();
    expect(pong).toMatchObject({ agent_id: AGENT_ID, sender_id: AGENT_ID, t1: request.t1, agent_class: 'A', frozen: false, causation_id: request.message_id });
    expect(pong.t2).toBeLessThanOrEqual(pong.t3);
    expect(pong.t2).toBeGreaterThanOrEqual(before);
    expect(pong.t3).toBeLessThanOrEqual(after);
    expect(pong.capabilities).toEqual(['route', 'transform', 'cache']);
    expect(pong.stats).toMatchObject({ requests: expect.any(Number), queue_depth: expect.any(Number) });
  });

  it('refuses a PING for another agent and a replayed PING', async () => {
    expect((await readProblem(await postPing(ping({ target_id: 'someone-else' })))).code).toBe('WRONG_TARGET');
    const request = ping();
    expect((await postPing(request)).status).toBe(200);
    expect((await readProblem(await postPing(request))).code).toBe('REPLAYED');
  });

  it('accepts a lead whose clock is far off once the PING states the offset', async () => {
    const ahead = 10_000; // the lead's clock (mesh time) runs 10 s ahead of the Worker's
    const leadNow = Date.now() + ahead;
    const unstated = ping({ ...header(leadNow), t1: leadNow });
    expect((await readProblem(await postPing(unstated))).code).toBe('FROM_THE_FUTURE');

    const stated = { ...ping({ ...header(leadNow), t1: leadNow }), clock_offset_ms: ahead } as Ping;
    const pong = await readSigned(await postPing(stated), 'PONG');
    expect(pong.t1).toBe(leadNow);
    expect(pong.created_at).toBe(pong.t3 + ahead);

    // Put the remembered offset back for the other tests: this Worker and the test share a clock.
    await readSigned(await postPing({ ...ping(), clock_offset_ms: 0 }), 'PONG');
  });
});
