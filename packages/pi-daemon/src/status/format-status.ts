/** A short human summary of an agent's status, for `mesh-agent status`. */
import type { SystemHealth, ThrottleFlags } from '@mesh30k/shared';
import type { AgentStatus } from './status-schema.js';

const MS_PER_S = 1000;
const S_PER_MIN = 60;
const S_PER_HOUR = 3600;
const S_PER_DAY = 86_400;

/** `3d 4h`, `2h 5m`, `4m 10s`, `12s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s >= S_PER_DAY) return `${Math.floor(s / S_PER_DAY)}d ${Math.floor((s % S_PER_DAY) / S_PER_HOUR)}h`;
  if (s >= S_PER_HOUR) return `${Math.floor(s / S_PER_HOUR)}h ${Math.floor((s % S_PER_HOUR) / S_PER_MIN)}m`;
  if (s >= S_PER_MIN) return `${Math.floor(s / S_PER_MIN)}m ${s % S_PER_MIN}s`;
  return `${s}s`;
}

const ago = (at: number, now: number): string => `${formatDuration((now - at) / MS_PER_S)} ago`;
const pct = (value: number | null): string => (value === null ? '?' : `${Math.round(value)}%`);
const ms = (value: number | null): string => (value === null ? '?' : `${value.toFixed(1)} ms`);

function throttleLine(flags: ThrottleFlags | null): string {
  if (flags === null) return 'throttling: unknown';
  const now = [flags.under_voltage && 'under-voltage', flags.throttled && 'throttled', flags.freq_capped && 'frequency capped', flags.soft_temp_limit && 'soft temperature limit'].filter(Boolean);
  const since = [
    flags.under_voltage_since_boot && 'under-voltage',
    flags.throttled_since_boot && 'throttled',
    flags.freq_capped_since_boot && 'frequency capped',
    flags.soft_temp_limit_since_boot && 'soft temperature limit',
  ].filter(Boolean);
  if (now.length === 0 && since.length === 0) return 'throttling: none since boot';
  return `throttling: ${now.length > 0 ? `${now.join(', ')} now` : 'none now'}; since boot: ${since.length > 0 ? since.join(', ') : 'none'}`;
}

function hostLine(health: SystemHealth): string {
  const temperature = health.temperature_c === null ? '? °C' : `${health.temperature_c.toFixed(1)} °C`;
  const ntp = health.ntp_synchronized === null ? 'ntp unknown' : health.ntp_synchronized ? 'ntp synced' : 'NTP NOT SYNCED';
  const up = health.uptime_s === null ? '' : `, up ${formatDuration(health.uptime_s)}`;
  return `host: ${temperature}, cpu ${pct(health.cpu_load_pct)}, mem ${pct(health.memory_used_pct)}, disk ${pct(health.disk_used_pct)}, ${ntp}${up}`;
}

export function formatStatus(status: AgentStatus, now: number = Date.now()): string {
  const { heartbeat, clock, outbox, queue } = status;
  const beat =
    heartbeat.last_at === null
      ? 'none yet'
      : `${heartbeat.last_result ?? 'unknown'} ${ago(heartbeat.last_at, now)}`;
  const oldest = outbox.oldest_queued_at === null ? '' : ` (oldest ${ago(outbox.oldest_queued_at, now)})`;
  const confidence = clock.confidence === null ? '?' : clock.confidence.toFixed(2);
  const lines = [
    `agent ${status.agent_id} (cluster ${status.cluster_id}, lead ${status.lead_id}) v${status.version}: ${status.connected ? 'connected' : 'DISCONNECTED'}, up ${formatDuration(status.uptime_s)}`,
    `heartbeat: ${beat} (every ${formatDuration(heartbeat.interval_ms / MS_PER_S)})`,
    `clock: offset ${ms(clock.offset_ms)}, delay ${ms(clock.delay_ms)}, confidence ${confidence}`,
    `work: queue ${queue.depth}/${queue.max_depth}, outbox ${outbox.depth} waiting${oldest}, ${outbox.dropped} dropped${outbox.dead_letters > 0 ? `, ${outbox.dead_letters} dead letters (mesh-agent dead-letters)` : ''}`,
    hostLine(status.health),
    throttleLine(status.health.throttle),
  ];
  if (status.sensors !== undefined) {
    const { backend, devices } = status.sensors;
    lines.push(`sensors: ${devices.length} configured${backend === null ? '' : `, GPIO ${backend.name} (${backend.reason})`}`);
    for (const d of devices) {
      const reading = d.ok ? `${JSON.stringify(d.value)}${d.sampled_at === null ? '' : ` ${ago(d.sampled_at, now)}`}` : `FAILED: ${d.error ?? 'unknown'}`;
      lines.push(`  ${d.id} (${d.kind}): ${reading}`);
    }
  }
  if (status.frozen) lines.push('FROZEN by the lead: no new work is accepted');
  return `${lines.join('\n')}\n`;
}
