// /metrics by convention, checked with a tool the project did not write: a real lead
// (`mesh-lead run`) and a real agent daemon (`mesh-agent run`) over a private nats-server, one
// decided operation in lead mode (the daemon's) so the histograms hold data, then `promtool check metrics` on both pages,
// and two scrapes in a row that must not take anything from each other.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePromText, promtoolCheckMetrics, resetSamples, startLocalMesh, type LocalMesh } from '../harness/index.js';
import { waitFor } from '../harness/local-mesh.js';

let mesh: LocalMesh;
let agentMetricsUrl: string;
/** Agents whose arrival error the lead recorded for the operation (READY in time or not). */
let responders = 0;

const scrapeLead = async (): Promise<string> => {
  const res = await mesh.api.get<string>('/metrics');
  expect(res.status).toBe(200);
  return res.body;
};
const scrapeAgent = async (): Promise<string> => {
  const res = await fetch(agentMetricsUrl);
  expect(res.status).toBe(200);
  return res.text();
};

/** The status server's port, from its `status.listening` log line (the daemon picks a free one). */
async function statusPort(logFile: string): Promise<number | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (!line.includes('"event":"status.listening"')) continue;
    const parsed = JSON.parse(line) as { host?: string; port?: number };
    expect(parsed.host).toBe('127.0.0.1');
    return parsed.port;
  }
  return undefined;
}

beforeAll(async () => {
  mesh = await startLocalMesh({ agents: 2, daemons: 1 });
  const daemon = mesh.daemons?.[0];
  if (daemon === undefined) throw new Error('the mesh started no daemon');
  const port = await waitFor('the daemon status port', 10_000, () => statusPort(daemon.proc.logFiles[0]!));
  agentMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  // Decided is enough: on a busy machine an agent may be skipped, and the figures below follow the result.
  const op = await mesh.operation({ verb: 'decide', payload: { command: 'arm' }, selector: { all: true }, release_mode: 'lead', timeout_ms: 5_000 });
  responders = op.result?.responders.length ?? 0;
}, 90_000);

afterAll(async () => {
  await mesh?.stop();
});

describe('/metrics by convention', () => {
  it('the lead page passes promtool check metrics, in base units, with process metrics and known labels at 0', async () => {
    const text = await scrapeLead();
    const verdict = promtoolCheckMetrics(text);
    expect(verdict, verdict.output).toEqual({ code: 0, output: '' });
    const m = parsePromText(text);
    expect(m.get('mesh_lead_arrival_error_seconds_count')?.value).toBe(responders);
    const outcomes = ['success', 'partial', 'refused'].map((outcome) => m.get(`mesh_lead_operations_total{outcome="${outcome}"}`)?.value);
    expect(outcomes.reduce((a = 0, b = 0) => a + b, 0)).toBe(1);
    expect(m.get('mesh_lead_heartbeats_refused_total{reason="BAD_SIGNATURE"}')?.value).toBe(0);
    expect(m.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(m.get('nodejs_heap_size_used_bytes')?.type).toBe('gauge');
    expect([...m.keys()].filter((key) => key.startsWith('nodejs_eventloop_lag'))).toEqual([]);
  });

  it('the agent page passes promtool check metrics', async () => {
    const text = await scrapeAgent();
    const verdict = promtoolCheckMetrics(text);
    expect(verdict, verdict.output).toEqual({ code: 0, output: '' });
    const m = parsePromText(text);
    expect(m.get('mesh_agent_acks_sent_total')?.type).toBe('counter');
    expect(m.get('mesh_agent_clock_offset_seconds')?.type).toBe('gauge');
    expect(m.get('mesh_agent_heartbeats_answered_total')?.value).toBeGreaterThan(0);
  });

  it('two scrapes in a row reset nothing: counters and histograms, the event-loop delay among them, only grow', async () => {
    for (const [who, scrape, prefix] of [['lead', scrapeLead, 'mesh_lead'], ['agent', scrapeAgent, 'mesh_agent']] as const) {
      const count = `${prefix}_event_loop_delay_seconds_count`;
      // At least one one-second window observed, so there is something a scrape could steal.
      const first = await waitFor(`the ${who}'s first event-loop window`, 10_000, async () => {
        const m = parsePromText(await scrape());
        return (m.get(count)?.value ?? 0) > 0 ? m : undefined;
      });
      const second = parsePromText(await scrape());
      expect(resetSamples(first, second), who).toEqual([]);
      expect(second.get(count)?.value, who).toBeGreaterThanOrEqual(first.get(count)!.value);
      expect(second.get(`${prefix}_event_loop_delay_seconds_sum`)?.value, who).toBeGreaterThan(0);
    }
  });
});
