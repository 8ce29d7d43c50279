/**
 * The Pi's health block end to end: signed heartbeats over a real nats-server into a real lead,
 * read back through its API and /metrics, and kept across a restart.
 */
import { decodeThrottled } from '@mesh30k/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { LeadFixture } from '../support/lead-fixture.js';

const UNDER_VOLTAGE_NOW = 0x1;
const UNDER_VOLTAGE_SINCE_BOOT = 0x10000;
const cool = { cpu_load_pct: 20, temperature_c: 52, memory_used_pct: 40, disk_used_pct: 30, throttle: decodeThrottled(UNDER_VOLTAGE_SINCE_BOOT), uptime_s: 3600, ntp_synchronized: true };

let nats: NatsServer;
let fx: LeadFixture;
beforeAll(async () => {
  nats = await startNats();
  fx = await LeadFixture.start({ natsUrl: nats.url, config: { thresholds: { hardware: { hot_above_c: 75 } } } });
});
afterAll(async () => {
  await fx.close();
  await nats.dispose();
});

interface AgentBody {
  state: string;
  system_health: { temperature_c: number | null; conditions: string[]; degraded: boolean; throttle: { under_voltage: boolean; under_voltage_since_boot: boolean } | null };
}

describe('the health block a Pi sends', () => {
  it('is stored, shown in the API and /metrics, degrades an under-volted or hot Pi, and survives a restart', async () => {
    const [fine, sagging, hot] = await fx.addAgents([{ agentId: 'pi-fine' }, { agentId: 'pi-sag' }, { agentId: 'pi-hot' }]);
    await fine!.heartbeat({ message: { health: cool } });
    await sagging!.heartbeat({ message: { health: { ...cool, throttle: decodeThrottled(UNDER_VOLTAGE_NOW | UNDER_VOLTAGE_SINCE_BOOT) } } });
    await hot!.heartbeat({ message: { health: { ...cool, temperature_c: 77.5, throttle: null } } });

    const one = async (id: string) => (await fx.api.get<AgentBody>(`/v1/agents/${id}`)).body;
    expect(await one('pi-fine')).toMatchObject({ state: 'active', system_health: { temperature_c: 52, conditions: [], degraded: false, throttle: { under_voltage: false, under_voltage_since_boot: true } } });
    expect(await one('pi-sag')).toMatchObject({ state: 'degraded', system_health: { conditions: ['under_voltage'], degraded: true } });
    expect(await one('pi-hot')).toMatchObject({ state: 'degraded', system_health: { temperature_c: 77.5, conditions: ['hot'], degraded: true } });
    expect(fx.lead.status().mesh.agents_active).toBe(1);

    const metrics = String((await fx.api.get('/metrics')).body).split('\n');
    for (const line of ['mesh_lead_agents_hardware{condition="under_voltage"} 1', 'mesh_lead_agents_hardware{condition="hot"} 1', 'mesh_lead_agents_hardware_degraded 2', 'mesh_lead_agent_temperature_max_celsius 77.5']) {
      expect(metrics, line).toContain(line);
    }

    await fx.restart();
    expect(await one('pi-sag')).toMatchObject({ state: 'degraded', system_health: { conditions: ['under_voltage'], degraded: true } });
    // The supply recovers: the next heartbeat makes the Pi active again.
    await sagging!.heartbeat({ message: { health: cool } });
    expect(await one('pi-sag')).toMatchObject({ state: 'active', system_health: { degraded: false } });
  });
});
