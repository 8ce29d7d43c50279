/**
 * The /metrics families about the fleet's hardware and the lead's own bookkeeping (dead letters,
 * operator alerts). Each source is optional: a lead built without it leaves its family out.
 * Per-agent values stay in the API; these are counts, so 30,000 agents cost a few lines.
 */
import { MetricsText } from '@mesh30k/shared';
import type { HardwareSummary } from '../registry/index.js';

export interface FleetMetricsSources {
  hardware?(): HardwareSummary;
  deadLetters?(): { stored: number; pruned: number };
}

export function renderFleetMetrics(s: FleetMetricsSources): string {
  const m = new MetricsText();
  if (s.hardware !== undefined) {
    const hw = s.hardware();
    m.single('mesh_lead_agents_health_reporting', 'gauge', 'Live agents whose heartbeat carries a temperature or throttle word.', hw.reporting);
    m.family('mesh_lead_agents_hardware', 'gauge', 'Live agents reporting a hardware condition now (under_voltage, throttled, hot).');
    for (const [condition, n] of Object.entries(hw.conditions)) m.sample('mesh_lead_agents_hardware', n, { condition });
    m.single('mesh_lead_agents_hardware_degraded', 'gauge', 'Live agents the lead counts as degraded because of their hardware.', hw.degraded);
    m.single('mesh_lead_agent_temperature_max_celsius', 'gauge', 'Hottest temperature any live agent reports, °C (NaN: none reports one).', hw.maxTemperatureC ?? Number.NaN);
  }
  if (s.deadLetters !== undefined) {
    const letters = s.deadLetters();
    m.single('mesh_lead_dead_letters', 'gauge', 'Dead letters stored (GET /v1/dead-letters).', letters.stored);
    m.single('mesh_lead_dead_letters_pruned_total', 'counter', 'Dead letters deleted by retention (dead_letters.max_rows, max_age_ms) since the lead started.', letters.pruned);
  }
  return m.text();
}
