/**
 * The /metrics families about the fleet's hardware and the lead's own bookkeeping (dead letters,
 * operator alerts). Each source is optional: a lead built without it leaves its family out.
 * Per-agent values stay in the API; these are counts, so 30,000 agents cost a few lines.
 */
import type { Registry } from 'prom-client';
import { LABEL_VALUES } from '../metrics/label-values.js';
import { byLabel, scrapedCounter, scrapedGauge, single, zeroesOf } from '../metrics/index.js';
import type { HardwareSummary } from '../registry/index.js';

export interface FleetMetricsSources {
  hardware?: () => HardwareSummary;
  deadLetters?: () => { stored: number; pruned: number };
  operatorAlert?: () => { active: boolean; raised: number };
}

export function registerFleetMetrics(registry: Registry, s: FleetMetricsSources): void {
  const hardware = s.hardware;
  if (hardware !== undefined) {
    scrapedGauge(registry, { name: 'mesh_lead_agents_health_reporting', help: 'Live agents whose heartbeat carries a temperature or throttle word.', read: () => single(hardware().reporting) });
    scrapedGauge(registry, {
      name: 'mesh_lead_agents_hardware',
      help: 'Live agents reporting a hardware condition now (under_voltage, throttled, hot).',
      labelNames: ['condition'],
      zeroes: zeroesOf('condition', LABEL_VALUES.hardwareConditions),
      read: () => byLabel('condition', Object.entries(hardware().conditions)),
    });
    scrapedGauge(registry, { name: 'mesh_lead_agents_hardware_degraded', help: 'Live agents the lead counts as degraded because of their hardware.', read: () => single(hardware().degraded) });
    scrapedGauge(registry, {
      name: 'mesh_lead_agent_temperature_max_celsius',
      help: 'Hottest temperature any live agent reports, degrees Celsius (NaN: none reports one).',
      read: () => single(hardware().maxTemperatureC ?? Number.NaN),
    });
  }
  const deadLetters = s.deadLetters;
  if (deadLetters !== undefined) {
    scrapedGauge(registry, { name: 'mesh_lead_dead_letters', help: 'Dead letters stored (GET /v1/dead-letters).', read: () => single(deadLetters().stored) });
    scrapedCounter(registry, {
      name: 'mesh_lead_dead_letters_pruned_total',
      help: 'Dead letters deleted by retention (dead_letters.max_rows, max_age_ms) since the lead started.',
      read: () => single(deadLetters().pruned),
    });
  }
  const alert = s.operatorAlert;
  if (alert !== undefined) {
    scrapedGauge(registry, { name: 'mesh_lead_operator_alert', help: '1 while a degradation mode asks for an operator (event operator.alert).', read: () => single(Number(alert().active)) });
    scrapedCounter(registry, { name: 'mesh_lead_operator_alerts_total', help: 'Operator alerts raised since the lead started.', read: () => single(alert().raised) });
  }
}
