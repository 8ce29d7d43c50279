import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startNats, type NatsServer } from '../../../../test/harness/index.js';
import { LeadFixture } from '../support/lead-fixture.js';

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
    expect(await notReady.json()).toMatchObject({ checks: [{ name: 'nats', ok: false }, { name: 'intake', ok: false }, { name: 'store', ok: true }, { name: 'registry', ok: true }] });
    const status = (await fx.api.get<{ nats: { connected: boolean }; lead_id: string }>('/v1/status')).body;
    expect(status).toMatchObject({ lead_id: 'lead-1', nats: { connected: false } });

    // Connected is not enough: until the heartbeat subscription is on the server, agents would
    // get no-responders, so the lead is not ready yet (read at the instant NATS connects).
    const lead = fx.lead;
    const atConnect = new Promise<ReturnType<typeof lead.readiness>>((resolve) => {
      const off = lead.events.on((event) => {
        if (event.name !== 'nats.connected') return;
        off();
        resolve(lead.readiness());
      });
    });
    nats = await startNats({ port });
    expect(await atConnect).toMatchObject([{ name: 'nats', ok: true }, { name: 'intake', ok: false, detail: 'heartbeat subscription not in place yet' }, { name: 'store', ok: true }, { name: 'registry', ok: true }]);
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
