/**
 * A degradation mode that alerts operators, on a real lead: the alert shows in GET /v1/status
 * and /metrics while the mode lasts, and the snapshot is written (state preserved) on EMERGENCY.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { LeadFixture } from '../support/lead-fixture.js';

let nats: NatsServer;
let fx: LeadFixture;
beforeAll(async () => {
  nats = await startNats();
  fx = await LeadFixture.start({ natsUrl: nats.url });
});
afterAll(async () => {
  await fx.close();
  await nats.dispose();
});

const metric = async (name: string) => String((await fx.api.get('/metrics')).body).split('\n').find((line) => line.startsWith(`${name} `));

describe('operator alert from the degradation mode', () => {
  it('is raised by EMERGENCY (status, metrics, agents written to the database) and cleared by FULL', async () => {
    const agent = await fx.addAgent({ agentId: 'pi-1' });
    await agent.heartbeat();
    expect(fx.lead.store.agents.loadAll().agents).toHaveLength(0);

    expect((await fx.api.request('PUT', '/v1/mode', { override: 'EMERGENCY' })).status).toBe(200);
    const status = (await fx.api.get<{ alert: { active: boolean; mode: string; reason: string } }>('/v1/status')).body;
    expect(status.alert).toMatchObject({ active: true, mode: 'EMERGENCY' });
    expect(status.alert.reason).toMatch(/^mesh mode EMERGENCY/);
    expect(await metric('mesh_lead_operator_alert')).toBe('mesh_lead_operator_alert 1');
    await fx.lead.modeReactions.settle();
    expect(fx.lead.store.agents.loadAll().agents.map((a) => a.agent_id)).toEqual(['pi-1']);

    expect((await fx.api.request('PUT', '/v1/mode', { override: null })).status).toBe(200);
    expect((await fx.api.get<{ alert: { active: boolean } }>('/v1/status')).body.alert.active).toBe(false);
    expect(await metric('mesh_lead_operator_alerts_total')).toBe('mesh_lead_operator_alerts_total 1');
  });
});
