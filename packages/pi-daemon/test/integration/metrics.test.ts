/**
 * The agent's /metrics, from a real daemon process heartbeating to a lead over a real
 * nats-server: the counters move, the clock estimate shows, and the endpoint is on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionDaemon } from '../support/daemon-config.js';
import { spawnCli } from '../support/daemon-process.js';
import { startLeadRig, type LeadRig } from '../support/lead-rig.js';
import type { LogLine } from '../support/log-capture.js';

let rig: LeadRig;
beforeAll(async () => {
  rig = await startLeadRig();
});
afterAll(async () => {
  await rig.close();
});

const event = (name: string) => (line: LogLine) => line.event === name;

/** `name{labels} value` lines as a map from `name{labels}` to the number. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

describe('the agent /metrics', () => {
  it('serves heartbeat, outbox, clock and coordination counters and the process metrics as Prometheus text on loopback', async () => {
    const config = await provisionDaemon({ mesh: rig.mesh, dir: `${rig.dir.path}/m`, agentId: 'pi-metrics', natsUrl: rig.nats.url });
    const daemon = spawnCli(['run', '--config', config]);
    try {
      const listening = await daemon.waitForLine(event('status.listening'), 'the status endpoint');
      expect(listening.host).toBe('127.0.0.1');
      await daemon.waitForLine(event('clock.synced'), 'clock sync');
      await rig.lead.coordinate({ operation_id: 'op-m', release_mode: 'lead', target_time: rig.lead.now() + 200 });
      await rig.lead.waitUntil(() => rig.lead.ackFor('op-m', 'pi-metrics') !== undefined, 5_000, 'the ACK');

      const res = await fetch(`http://127.0.0.1:${String(listening.port)}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
      const m = samples(await res.text());
      expect(m.get('mesh_agent_heartbeats_sent_total')).toBeGreaterThan(0);
      expect(m.get('mesh_agent_heartbeats_missed_total')).toBe(0);
      expect(m.get('mesh_agent_outbox_depth')).toBe(0);
      expect(m.get('mesh_agent_outbox_dropped_total')).toBe(0);
      expect(Number.isFinite(m.get('mesh_agent_clock_offset_seconds'))).toBe(true);
      expect(m.get('mesh_agent_clock_error_bound_seconds')).toBeGreaterThanOrEqual(0);
      expect(m.get('mesh_agent_coordinations_total{outcome="accepted"}')).toBe(1);
      expect(m.get('mesh_agent_acks_sent_total')).toBe(1);
      expect(m.get('mesh_agent_nats_connected')).toBe(1);
      expect(m.get('mesh_agent_heartbeats_answered_total')).toBeGreaterThan(0);
      expect(m.get('mesh_agent_heartbeats_refused_total')).toBe(0);
      // Known label values from the start; prom-client's process and Node metrics beside the agent's.
      expect(m.get('mesh_agent_coordinations_total{outcome="declined",code="QUEUE_FULL"}')).toBe(0);
      expect(m.get('mesh_agent_mode{mode="FULL"}')).toBe(1);
      expect(m.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(m.has('nodejs_heap_size_used_bytes')).toBe(true);
      expect(m.has('mesh_agent_event_loop_delay_seconds_count')).toBe(true);
    } finally {
      daemon.kill('SIGKILL');
      await daemon.exited;
    }
  });
});
