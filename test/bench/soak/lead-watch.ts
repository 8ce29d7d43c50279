// The lead seen once a second from outside: its /metrics counters (heartbeats accepted and
// refused, worst event-loop delay of the last one-second window, API answers by status), its
// agents by state, and its RSS from /proc. Fault recovery times and window figures are read
// from these samples.
import type { LeadApi } from '../../harness/index.js';
import { metricValues } from '../lib/metric-values.js';
import { processSample } from '../scale/proc.js';

export const SAMPLE_MS = 1_000;

export interface LeadSample {
  /** Epoch ms when the scrape started. */
  at: number;
  pid: number | undefined;
  /** False when /metrics did not answer (lead down or busy past the timeout). */
  up: boolean;
  heartbeatsAccepted: number | null;
  heartbeatsRefused: Record<string, number>;
  /** mesh_lead_event_loop_delay_last_window_seconds in ms: the worst delay of the last complete second. */
  loopDelayMs: number | null;
  apiByStatus: Record<string, number>;
  /** Breakers in state open (mesh_lead_breaker_state 2). */
  breakersOpen: number | null;
  active: number | null;
  rssMb: number;
}

const msOf = (seconds: number | null): number | null => (seconds === null ? null : seconds * 1000);

export class LeadWatch {
  readonly samples: LeadSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly api: LeadApi,
    private readonly leadPid: () => number | undefined,
  ) {}

  start(): void {
    const tick = (): void => {
      this.running ??= this.sample().finally(() => {
        this.running = undefined;
      });
    };
    tick();
    this.timer = setInterval(tick, SAMPLE_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** The first sample at or after `from` that satisfies `test`, if any yet. */
  firstAfter(from: number, test: (s: LeadSample, previous: LeadSample | undefined) => boolean): LeadSample | undefined {
    for (let i = 0; i < this.samples.length; i++) {
      const s = this.samples[i]!;
      if (s.at >= from && test(s, this.samples[i - 1])) return s;
    }
    return undefined;
  }

  private async sample(): Promise<void> {
    const at = Date.now();
    const pid = this.leadPid();
    const [metrics, status] = await Promise.all([
      this.api.request<string>('GET', '/metrics').catch(() => undefined),
      this.api.getOk<{ agents: { by_state: Record<string, number> } }>('/v1/status'),
    ]);
    const text = metrics?.status === 200 && typeof metrics.body === 'string' ? metrics.body : undefined;
    const one = (name: string): number | null => (text === undefined ? null : (metricValues(text, name)[''] ?? null));
    this.samples.push({
      at,
      pid,
      up: text !== undefined,
      heartbeatsAccepted: one('mesh_lead_heartbeats_accepted_total'),
      heartbeatsRefused: text === undefined ? {} : metricValues(text, 'mesh_lead_heartbeats_refused_total'),
      loopDelayMs: msOf(one('mesh_lead_event_loop_delay_last_window_seconds')),
      apiByStatus: text === undefined ? {} : metricValues(text, 'mesh_lead_api_requests_total'),
      breakersOpen: text === undefined ? null : [...text.matchAll(/^mesh_lead_breaker_state\{.*\} 2$/gm)].length,
      active: status?.agents.by_state.active ?? null,
      rssMb: processSample(pid).rssMb,
    });
  }
}

/**
 * Sum of a counter's increases between two instants, read at the window's edges (the samples
 * nearest inside them). A new lead process counts from 0, so its first reading is all increase.
 */
export function counterIncrease(samples: readonly LeadSample[], from: number, to: number, read: (s: LeadSample) => number | null): number {
  let total = 0;
  let previous: { pid: number | undefined; value: number } | null = null;
  for (const s of samples) {
    if (s.at < from || s.at > to) continue;
    const value = read(s);
    if (value === null) continue;
    if (previous !== null) total += s.pid === previous.pid ? Math.max(0, value - previous.value) : value;
    previous = { pid: s.pid, value };
  }
  return total;
}
