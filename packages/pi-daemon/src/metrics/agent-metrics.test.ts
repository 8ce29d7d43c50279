import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AgentStatus } from '../agent/status-report.js';
import { newCounters } from '../agent/counters.js';
import { registerAgentMetrics } from './agent-metrics.js';

function status(over: Partial<AgentStatus> = {}): AgentStatus {
  return {
    connected: true,
    frozen: false,
    mode: 'DEGRADED_LIGHT',
    queueDepth: 2,
    clock: { samples: 0, offset_ms: 0, error_bound_ms: 0 },
    outbox: { depth: 1, dropped: 0, oldestQueuedAt: null },
    deadLetters: { count: 0, total: 0, oldestDeadAt: null },
    counters: { ...newCounters(), heartbeatsRequested: 5, heartbeatsSent: 4, heartbeatsMissed: 1, declinedByCode: { QUEUE_FULL: 2 } },
    sensors: {
      backend: { name: 'sysfs', reason: 'test' },
      devices: [
        { id: 'temp', kind: 'onewire', ok: true },
        { id: 'door', kind: 'gpio.input', ok: false, error: 'gone' },
      ],
      last: [{ sensor_id: 'temp', value: 21.5, unit: 'C', sampled_at: 1, seq: 3 }],
      readings: { temp: 3 },
    },
    ...over,
  } as unknown as AgentStatus;
}

describe('agent metrics', () => {
  it('reads status() once per scrape: heartbeats, clock in seconds (NaN unsynced), mode, declines at 0 and sensors', async () => {
    let calls = 0;
    let now = status();
    const registry = new Registry();
    registerAgentMetrics(registry, () => {
      calls++;
      return now;
    });
    expect(calls).toBe(0);
    const text = await registry.metrics();
    expect(calls).toBe(1);
    for (const line of [
      'mesh_agent_heartbeats_sent_total 5',
      'mesh_agent_heartbeats_answered_total 4',
      'mesh_agent_heartbeats_missed_total 1',
      'mesh_agent_clock_offset_seconds Nan',
      'mesh_agent_coordinations_total{outcome="declined",code="QUEUE_FULL"} 2',
      'mesh_agent_coordinations_total{outcome="declined",code="FROZEN"} 0',
      'mesh_agent_mode{mode="DEGRADED_LIGHT"} 1',
      'mesh_agent_mode{mode="FULL"} 0',
      'mesh_agent_sensor_readings_total{sensor_id="temp"} 3',
      'mesh_agent_sensor_readings_total{sensor_id="door"} 0',
      'mesh_agent_sensor_up{sensor_id="door"} 0',
      'mesh_agent_sensor_value{sensor_id="temp",unit="C"} 21.5',
    ]) {
      expect(text.split('\n'), line).toContain(line);
    }
    now = status({ clock: { samples: 3, offset_ms: -12.5, error_bound_ms: 2 } as AgentStatus['clock'], sensors: null });
    const later = await registry.metrics();
    expect(calls).toBe(2);
    expect(later).toContain('mesh_agent_clock_offset_seconds -0.0125\n');
    expect(later).toContain('mesh_agent_clock_error_bound_seconds 0.002\n');
    expect(later).not.toContain('sensor_id=');
  });
});
