import { encodeMessage, ReplayGuard } from '@mesh30k/shared';
import { sampleMessage } from '@mesh30k/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { trustFixture } from '../ingest/ingest.test-helper.js';
import { VerifyPool } from '../ingest/verify-pool.js';
import { silentLogger } from '../lib/logger.js';
import { pooledAckVerifier } from './verifier.js';

describe('pooled ACK verifier (signatures on the heartbeat verify pool)', () => {
  let pool: VerifyPool | undefined;
  afterEach(async () => {
    await pool?.close();
  });

  it('accepts a signed ACK once, refuses its replay, and refuses other kinds', async () => {
    const fx = await trustFixture();
    const agent = await fx.agent('pi-1');
    pool = new VerifyPool({ rules: { resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] }, logger: silentLogger() }, { threads: 1, batchMax: 8, queueMax: 100 });
    const verifier = pooledAckVerifier({ pool, resolveKey: fx.resolveKey, replay: new ReplayGuard({ clock: fx.clock, ttlMs: 60_000, skewMs: 5_000 }) });
    const ack = await encodeMessage(sampleMessage('ACK', { sender: 'pi-1', at: fx.clock.now() }), agent.signer, 'pi-1');

    const first = await verifier.verify(ack);
    expect(first.ok && first.value.message.kind).toBe('ACK');
    expect(first.ok && first.value.signerId).toBe('pi-1');
    const again = await verifier.verify(ack);
    expect(again.ok ? 'OK' : again.error.code).toBe('REPLAYED');
    const heartbeat = await verifier.verify(await agent.frame());
    expect(heartbeat.ok ? 'OK' : heartbeat.error.code).toBe('UNKNOWN_KIND');
    const forged = await verifier.verify({ ...ack, body: ack.body.map((b, i) => (i === 12 ? b ^ 1 : b)) });
    expect(forged.ok ? 'OK' : forged.error.code).toBe('BAD_SIGNATURE');
  });
});
