import type { BreakerStatus } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { apiTestKit } from './api-test-kit.js';
import { createApi, type ApiDeps } from './app.js';
import { OperationMetrics } from './metrics.js';

const kit = await apiTestKit();

function app(extra: Partial<ApiDeps>, publicPaths: string[] = []) {
  return createApi({ access: { ...kit.access, publicPaths }, status: () => ({}) as never, agent: () => undefined, readiness: () => [], logger: silentLogger(), ...extra });
}

describe('/metrics and /health/deep', () => {
  it('exposes counters (known labels at 0), the arrival and latency histograms in seconds, breakers, mode and API statuses as Prometheus text', async () => {
    const ops = new OperationMetrics();
    ops.record({ status: 'completed', result: { status: 'SUCCESS', responders: [{ arrivalErrorMs: -0.5 }, { arrivalErrorMs: 7 }] } as never });
    ops.record({ status: 'refused', refusal: { code: 'QUEUE_TIMEOUT', reason: 'late' } });
    const api = app({
      metrics: {
        ingest: () => ({ accepted: 41, refused: { BAD_SIGNATURE: 2 } }),
        operations: ops,
        breakers: () => [{ scope: 'cluster', targetId: 'c-1', state: 'open' } as BreakerStatus],
        mode: () => 'DEGRADED_LIGHT',
        hardware: () => ({ reporting: 3, degraded: 2, conditions: { under_voltage: 1, throttled: 2, hot: 0 }, maxTemperatureC: 71.5 }),
        sensorValues: () => ({
          readings: [
            { agentId: 'pi-1', sensorId: 'temp', unit: 'C', value: 21.5, sampledAt: 1_700_000_000_500 },
            { agentId: 'pi-1', sensorId: 'door', unit: null, value: true, sampledAt: 1_700_000_001_000 },
            { agentId: 'pi-2', sensorId: 'label', unit: null, value: 'open', sampledAt: 1_700_000_001_000 },
          ],
          omitted: 4,
        }),
      },
    });
    expect((await api.request('/metrics')).status).toBe(401);
    await kit.request(api, 'GET', '/v1/nothing', { as: 'viewer' });
    await kit.request(api, 'GET', '/v1/agents/pi-9', { as: 'viewer' });
    const res = await kit.request(api, 'GET', '/metrics', { as: 'viewer' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    for (const line of [
      'mesh_lead_heartbeats_accepted_total 41',
      'mesh_lead_heartbeats_refused_total{reason="BAD_SIGNATURE"} 2',
      'mesh_lead_operations_total{outcome="success"} 1',
      'mesh_lead_operations_total{outcome="refused"} 1',
      'mesh_lead_operations_total{outcome="partial"} 0',
      'mesh_lead_operations_total{outcome="failed_over"} 0',
      'mesh_lead_arrival_error_seconds_bucket{le="0.001"} 1',
      'mesh_lead_arrival_error_seconds_bucket{le="0.01"} 2',
      'mesh_lead_arrival_error_seconds_sum 0.0075',
      'mesh_lead_arrival_error_seconds_count 2',
      'mesh_lead_breaker_state{scope="cluster",target_id="c-1"} 2',
      'mesh_lead_mode{mode="DEGRADED_LIGHT"} 1',
      'mesh_lead_mode{mode="FULL"} 0',
      'mesh_lead_heartbeats_refused_total{reason="NOT_ENROLLED"} 0',
      'mesh_lead_limit_hits_total{limit="heartbeat_shed"} 0',
      'mesh_lead_api_auth_failures_total{reason="FORBIDDEN"} 0',
      // By the matched route's pattern (one refused by auth included), never the raw path; known routes at 0.
      'mesh_lead_api_request_duration_seconds_count{method="GET",route="/metrics"} 1',
      'mesh_lead_api_request_duration_seconds_count{method="GET",route="unmatched"} 1',
      'mesh_lead_api_request_duration_seconds_count{method="GET",route="/v1/agents/:id"} 1',
      'mesh_lead_api_request_duration_seconds_count{method="GET",route="/v1/status"} 0',
      'mesh_lead_api_request_duration_seconds_count{method="POST",route="/v1/operations"} 0',
      'mesh_lead_api_requests_total{status="401"} 1',
      'mesh_lead_api_requests_total{status="404"} 2',
      'mesh_lead_api_auth_failures_total{reason="MISSING"} 1',
      'mesh_lead_agents_hardware{condition="under_voltage"} 1',
      'mesh_lead_agents_hardware{condition="throttled"} 2',
      'mesh_lead_agents_hardware{condition="hot"} 0',
      'mesh_lead_agents_hardware_degraded 2',
      'mesh_lead_agent_temperature_max_celsius 71.5',
      'mesh_lead_sensor_value{agent_id="pi-1",sensor_id="temp",unit="C"} 21.5',
      'mesh_lead_sensor_value{agent_id="pi-1",sensor_id="door",unit=""} 1',
      'mesh_lead_sensor_sampled_at_seconds{agent_id="pi-1",sensor_id="temp",unit="C"} 1700000000.5',
      'mesh_lead_sensor_values_omitted 4',
    ]) {
      expect(text.split('\n'), line).toContain(line);
    }
    // A reading that is not a number has no sample value.
    expect(text).not.toContain('sensor_id="label"');
    // Served without credentials only when configured so.
    const open = app({ metrics: { ingest: () => ({ accepted: 0, refused: {} }), operations: ops, breakers: () => [], mode: () => 'FULL' } }, ['/metrics']);
    expect((await open.request('/metrics')).status).toBe(200);
  });

  it('/health/deep answers 200 with the agent that answered a probe, 503 with Retry-After when none did', async () => {
    let probes = 0;
    const ok = app({
      deepProbe: () => {
        probes++;
        return Promise.resolve({ ok: true, agentId: 'pi-1', rttMs: 4.2 });
      },
    });
    const res = await ok.request('/health/deep');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', agent_id: 'pi-1', rtt_ms: 4.2, age_ms: 0 });
    // Unauthenticated: a burst of requests shares one probe (api.deep_health_cache_ms).
    await Promise.all(Array.from({ length: 50 }, async () => ok.request('/health/deep')));
    expect(probes).toBe(1);
    const none = await app({ deepProbe: () => Promise.resolve({ ok: false, detail: 'no active agent to probe' }) }).request('/health/deep');
    expect(none.status).toBe(503);
    expect(none.headers.get('retry-after')).toBe('5');
    expect(await none.json()).toMatchObject({ code: 'NOT_READY', detail: expect.stringContaining('no active agent') });
  });
});
