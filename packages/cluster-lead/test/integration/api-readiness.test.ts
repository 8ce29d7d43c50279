import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startNats, type NatsServer } from '../../../../test/harness/index.js';
import { LeadFixture, nextEvent } from '../support/lead-fixture.js';

describe('lead API over HTTP', () => {
  let fx: LeadFixture | undefined;
  let nats: NatsServer | undefined;
  afterEach(async () => {
    await fx?.close();
    await nats?.dispose();
  });

  it('starts and serves with NATS down at boot: not ready (503) until NATS comes up, then ready', async () => {
    const port = await freePort();
    fx = await LeadFixture.start({ natsUrl: `nats://127.0.0.1:${port}`, waitForIntake: false });
    const base = fx.lead.api.url;

    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const notReady = await fetch(`${base}/health/ready`);
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('retry-after')).toBe('5');
    expect(await notReady.json()).toMatchObject({ checks: [{ name: 'nats', ok: false }, { name: 'store', ok: true }, { name: 'registry', ok: true }] });
    const status = (await fx.api.get<{ nats: { connected: boolean }; lead_id: string }>('/v1/status')).body;
    expect(status).toMatchObject({ lead_id: 'lead-1', nats: { connected: false } });

    const connected = nextEvent(fx.lead, 'nats.connected');
    nats = await startNats({ port });
    await connected;
    await fx.lead.intake;
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });

    // And it takes heartbeats now.
    const agent = await fx.addAgent({ agentId: 'pi-late' });
    expect((await agent.heartbeat()).reply.accepted).toBe(true);
    const view = (await fx.api.get<{ state: string; agent_id: string }>('/v1/agents/pi-late')).body;
    expect(view).toMatchObject({ agent_id: 'pi-late', state: 'active' });
  });
});
