/**
 * bench:ui — the dashboard's page weight and time to first render of the agents view, in
 * Debian's headless Chromium, with 10,000 agents in the registry, compared with 100 agents
 * measured in the same run (the baseline: what the page costs when the fleet is small).
 *
 * Time to first render: from navigation to /ui/ (signed in) to the first agents row in the DOM.
 * Page weight: bytes of every response the page loads until then (HTML, script, CSS, session,
 * the first agents page, the status call the test makes none of).
 *
 *   npx tsx test/bench/dashboard-bench.ts [--runs 5] [--agents 10000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stdout } from 'node:process';
import { parseArgs } from 'node:util';
import { issueApiToken } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { chromium } from 'playwright-core';
import { apiTestKit } from '../../packages/cluster-lead/src/api/api-test-kit.js';
import { createApi, startApiServer, type LeadStatusBody } from '../../packages/cluster-lead/src/api/index.js';
import { silentLogger } from '../../packages/cluster-lead/src/lib/logger.js';
import { beat, harness, ids } from '../../packages/cluster-lead/src/registry/registry.test-helper.js';
import { createWebUi } from '../../packages/cluster-lead/src/web/index.js';
import { formatTable, writeReport } from './lib/report.js';

const BASELINE_AGENTS = 100;
const CHROMIUM = process.env.MESH_CHROMIUM ?? '/usr/bin/chromium';

interface Row {
  agents: number;
  runs: number;
  first_render_ms_median: number;
  first_render_ms_max: number;
  page_bytes: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

async function measure(agents: number, runs: number): Promise<Row> {
  const kit = await apiTestKit({ now: Date.now });
  const h = harness();
  beat(h, ids('pi', agents));
  const status = () => ({ lead_id: 'bench', cluster_id: 'c', mesh: { agents_active: agents, agents_total: agents, sectors_healthy: 1, sectors_total: 1, mean_impedance: null, conflicts_last_hour: 0, mode: 'FULL', frozen: false, last_cascade: null, operations: { in_flight: 0, queued: 0 } } }) as unknown as LeadStatusBody;
  const web = createWebUi({ access: kit.access, status, logger: silentLogger() });
  const server = await startApiServer(
    createApi({ web, access: { ...kit.access, rateLimit: { burst: 10_000, perSecond: 10_000 } }, status, agent: (id) => h.registry.get(id), agentIndex: { ids: () => h.registry.agentIds(), size: () => h.registry.size }, readiness: () => [], logger: silentLogger() }),
    { host: '127.0.0.1', port: 0 },
  );
  const profile = mkdtempSync(join(tmpdir(), 'mesh-ui-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const token = await issueApiToken(nodeEd25519.signerSync(kit.keys.viewer.privateKey), { sub: 'viewer', role: 'read', iat: Date.now(), exp: Date.now() + 600_000 });
    const signed = await context.request.post(`${server.url}/ui/session`, { data: { token } });
    if (!signed.ok()) throw new Error(`sign-in failed: ${signed.status()}`);
    const times: number[] = [];
    let bytes = 0;
    for (let run = 0; run < runs; run++) {
      const page = await context.newPage();
      let loaded = 0;
      page.on('response', (response) => {
        // Every response body the page received (the live feed stays open: not counted).
        if (!response.url().endsWith('/ui/events')) void response.body().then((b) => (loaded += b.length), () => undefined);
      });
      const started = performance.now();
      await page.goto(`${server.url}/ui/`);
      await page.waitForSelector('[data-testid=agents-rows] tr');
      times.push(performance.now() - started);
      await page.waitForLoadState('networkidle').catch(() => undefined);
      bytes = loaded;
      await page.close();
    }
    return { agents, runs, first_render_ms_median: median(times), first_render_ms_max: Math.max(...times), page_bytes: bytes };
  } finally {
    await context.close();
    web.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, agents: { type: 'string', default: '10000' } } });
  const runs = Number(values.runs);
  const agents = Number(values.agents);
  const baseline = await measure(BASELINE_AGENTS, runs);
  const fleet = await measure(agents, runs);
  const rows = [baseline, fleet];
  stdout.write(`${formatTable(['agents', 'runs', 'first render median ms', 'max ms', 'page bytes'], rows.map((r) => [r.agents, String(r.runs), r.first_render_ms_median, r.first_render_ms_max, r.page_bytes]))}\n`);
  stdout.write(`first render with ${agents} agents / with ${BASELINE_AGENTS}: ${(fleet.first_render_ms_median / baseline.first_render_ms_median).toFixed(2)}x\n`);
  stdout.write(`report: ${writeReport('dashboard', { rows, ratio: fleet.first_render_ms_median / baseline.first_render_ms_median })}\n`);
}

await main();
