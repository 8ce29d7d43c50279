/**
 * The dashboard's charts in a real headless Chromium: an operation that ends while the page is
 * open gets its arrival-error CDF (uPlot, one series per release mode, one point per READY
 * agent, as GET /v1/operations/{id} says), and breakers tripped by failures (a real
 * LeadBreakers fed no_ack outcomes) appear in the breakers timeline live, as
 * GET /v1/breakers/history says. Screenshots: test-output/ui/operation-cdf.png, breakers.png.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTestKit } from '../../src/api/api-test-kit.js';
import type { LeadStatusBody } from '../../src/api/index.js';
import { LeadBreakers, NO_SECTOR } from '../../src/breakers/index.js';
import { JobBoard, type JobEnd } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { beat, harness, ids } from '../../src/registry/registry.test-helper.js';
import { SHOTS, WAIT_MS, startDashboardRig, textOf, type DashboardRig } from './dashboard-rig.js';

const kit = await apiTestKit({ now: Date.now });
const h = harness();
beat(h, ids('pi', 8), { clusterId: 'north' });
beat(h, ids('edge', 8), { clusterId: 'south' });

const board = new JobBoard(Date.now);
let inFlight = 0;

/** The breakers' clock: the test sets it minutes back, so the timeline has room to show bands. */
let breakerNow = Date.now();
const breakers = new LeadBreakers(
  {
    clock: { now: () => breakerNow },
    logger: silentLogger(),
    locate: (agentId) => {
      const view = h.registry.get(agentId);
      return view === undefined ? undefined : { clusterId: view.clusterId, sectorId: view.sectorId ?? NO_SECTOR };
    },
    probeCandidates: () => [],
    probe: () => Promise.resolve({ ok: false, reason: 'no probes in this test' }),
  },
  { metricsOnly: false, clusterTripAbove: 5, sectorTripAbove: 50, failureWindowMs: 60_000, openDurationMs: 3_600_000, reprobeMs: 3_600_000, halfOpenObservationMs: 3_600_000, halfOpenMaxTrials: 3 },
);

function status(): LeadStatusBody {
  return {
    lead_id: 'lead-charts',
    cluster_id: 'north',
    mesh: { agents_active: 16, agents_total: 16, sectors_healthy: 1, sectors_total: 1, mean_impedance: null, conflicts_last_hour: 0, mode: 'FULL', frozen: false, last_cascade: null, operations: { in_flight: inFlight, queued: 0 } },
  } as unknown as LeadStatusBody;
}

let rig: DashboardRig;

beforeAll(async () => {
  rig = await startDashboardRig(
    kit,
    {
      status,
      agent: (id) => h.registry.get(id),
      agentIndex: { ids: () => h.registry.agentIds(), size: () => h.registry.size },
      jobs: board,
      breakers: () => breakers.list(),
      breakerHistory: breakers.history,
      forceBreaker: (scope, targetId, state, reason) => void breakers.apply(scope, targetId, state === 'open' ? 'OPEN' : state === 'closed' ? 'CLOSE' : 'HALF_OPEN', reason),
      readiness: () => [],
      logger: silentLogger(),
    },
    { breakerHistory: breakers.history },
  );
});

afterAll(async () => {
  await rig?.close();
});

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const token = await rig.token('admin', 'operator');
  const res = await fetch(`${rig.server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(res.status, `${method} ${path}`).toBe(200);
  return (await res.json()) as T;
}

/** The little of the DOM the page-side function below uses (this project's tsconfig has no DOM lib). */
interface PageDocument {
  querySelector(selector: string): { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } | null;
}

/** Pixels of the chart's canvas close to one colour: the series was drawn, not just declared. */
async function pixelsOf(page: Page, selector: string, hex: string): Promise<number> {
  return page.evaluate(
    ([sel, colour]) => {
      const canvas = (globalThis as unknown as { document: PageDocument }).document.querySelector(`${sel} canvas`);
      if (canvas === null) return -1;
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - r!) < 24 && Math.abs(data[i + 1]! - g!) < 24 && Math.abs(data[i + 2]! - b!) < 24 && data[i + 3]! > 200) n++;
      return n;
    },
    [selector, hex] as const,
  );
}

interface Responder {
  mode: string;
  outcome: string;
  arrival_error_ms: number;
}

describe('the dashboard charts in Chromium', () => {
  it('draws an operation that ends live as an arrival-error CDF: a series per release mode, a point per READY agent', async () => {
    const page = await rig.context.newPage();
    const scripts: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/ui/assets/') && request.url().endsWith('.js')) scripts.push(new URL(request.url()).pathname);
    });
    await rig.signIn(page, 'viewer', 'read');
    await expect.poll(() => textOf(page, 'operations-list'), { timeout: WAIT_MS }).toContain('No operation yet');
    // No chart drawn yet, so the chart code (uPlot) is not loaded: the first render does without it.
    const beforeChart = new Set(scripts);
    let finish: (end: JobEnd) => void = () => undefined;
    board.start({ id: 'op-cdf-1', kind: 'scatter_gather', state: 'RUNNING', done: new Promise<JobEnd>((resolve) => (finish = resolve)) });
    inFlight = 1;
    await expect.poll(() => textOf(page, 'operations-list'), { timeout: WAIT_MS }).toContain('op-cdf-1 scatter_gather · RUNNING');

    // 16 sent: hold 8 (7 READY, 1 refused), lead 5 (4 READY, 1 straggler), none 3 (2 READY, 1 straggler).
    const responders: (Responder & { agent_id: string })[] = [
      ...[-0.4, -0.2, -0.1, 0, 0.1, 0.3, 0.6].map((e, i) => ({ agent_id: `pi-0${i}`, mode: 'hold', outcome: 'ready', arrival_error_ms: e })),
      { agent_id: 'pi-07', mode: 'hold', outcome: 'refused', arrival_error_ms: 0 },
      ...[-3.5, -1, 1.5, 4].map((e, i) => ({ agent_id: `edge-0${i}`, mode: 'lead', outcome: 'ready', arrival_error_ms: e })),
      ...[9, 22].map((e, i) => ({ agent_id: `edge-0${i + 4}`, mode: 'none', outcome: 'ready', arrival_error_ms: e })),
    ];
    finish({
      ok: true,
      result: {
        status: 'PARTIAL',
        modes: { hold: 8, lead: 5, none: 3 },
        counts: { selected: 16, sent: 16, ready: 13, stragglers: 2 },
        quorum: { decision: 'WAIT', achieved: false, rates: { ready: 13 / 16 } },
        responders,
        stragglers: ['edge-06', 'edge-07'],
        skipped: [],
      },
    });
    inFlight = 0;
    await expect.poll(() => textOf(page, 'operations-list'), { timeout: WAIT_MS }).toContain('op-cdf-1 scatter_gather · SUCCEEDED');
    await page.click('[data-operation=op-cdf-1]');
    await page.waitForSelector('[data-testid=arrival-cdf] canvas');
    expect(scripts.filter((path) => !beforeChart.has(path)).length, 'chart chunks loaded on first draw').toBeGreaterThan(0);

    // What the API says, per release mode: the READY agents' arrival errors.
    const job = await api<{ result: { responders: Responder[] } }>('GET', '/v1/operations/op-cdf-1');
    const ready = new Map<string, number>();
    for (const r of job.result.responders) if (r.outcome === 'ready') ready.set(r.mode, (ready.get(r.mode) ?? 0) + 1);
    expect(ready.size).toBe(3);
    const figure = page.locator('[data-testid=arrival-cdf]');
    expect(Number(await figure.getAttribute('data-series'))).toBe(ready.size);
    // uPlot's own legend: the x row and a row per series.
    expect(await page.locator('[data-testid=arrival-cdf] .u-legend .u-series').count()).toBe(ready.size + 1);
    for (const [mode, count] of ready) expect(Number(await figure.locator(`[data-mode=${mode}]`).getAttribute('data-points')), mode).toBe(count);
    expect(await figure.locator('[data-mode=hold]').getAttribute('data-sent')).toBe('8');
    expect(await textOf(page, 'cdf-stragglers')).toContain('2');
    // Every series reached the canvas in its Okabe-Ito colour: hold sky blue, lead orange, none purple.
    await expect.poll(() => pixelsOf(page, '[data-testid=arrival-cdf]', '#56B4E9'), { timeout: WAIT_MS }).toBeGreaterThan(20);
    expect(await pixelsOf(page, '[data-testid=arrival-cdf]', '#E69F00')).toBeGreaterThan(20);
    expect(await pixelsOf(page, '[data-testid=arrival-cdf]', '#CC79A7')).toBeGreaterThan(20);
    await page.locator('section[aria-label=Operations]').screenshot({ path: join(SHOTS, 'operation-cdf.png') });

    // The histogram is the other view of the same errors.
    await page.click('[data-testid=arrival-view] [data-view=histogram]');
    await page.waitForSelector('[data-testid=arrival-histogram]');
    await page.click('[data-testid=arrival-view] [data-view=cdf]');
    await page.waitForSelector('[data-testid=arrival-cdf] canvas');
    await page.close();
  });

  it('shows breakers tripped by failures in the timeline, live, as GET /v1/breakers/history says', async () => {
    const page = await rig.context.newPage();
    await rig.signIn(page, 'admin', 'operator');
    await expect.poll(() => textOf(page, 'breakers'), { timeout: WAIT_MS }).toContain('No breaker has left closed');
    const states = (key: string) => page.locator(`[data-testid=breaker-timeline] li[data-breaker="${key}"]`).getAttribute('data-states', { timeout: WAIT_MS });
    const now = Date.now();

    // Six agents of cluster north without an ACK, ten minutes back: above 5, its breaker opens.
    breakerNow = now - 600_000;
    for (const id of ids('pi', 6)) breakers.observe(id, 'no_ack');
    expect(breakers.list().find((b) => b.scope === 'cluster' && b.targetId === 'north')?.state).toBe('open');
    await expect.poll(() => states('cluster:north'), { timeout: WAIT_MS }).toBe('closed open');

    // An operator hands it back to its rules (half-open), later it closes; then south trips.
    breakerNow = now - 420_000;
    await api('POST', '/v1/breakers/north/force', { state: 'auto', scope: 'cluster' });
    await expect.poll(() => states('cluster:north'), { timeout: WAIT_MS }).toBe('closed open half-open');
    breakerNow = now - 300_000;
    breakers.apply('cluster', 'north', 'CLOSE', 'trials went well');
    breakerNow = now - 240_000;
    for (const id of ids('edge', 6)) breakers.observe(id, 'refused');
    await expect.poll(() => states('cluster:south'), { timeout: WAIT_MS }).toBe('closed open');
    await expect.poll(() => states('cluster:north'), { timeout: WAIT_MS }).toBe('closed open half-open closed');

    // The page's bands are the API's transitions, one band more than transitions per breaker.
    const history = await api<{ transitions: { scope: string; target_id: string; to: string }[] }>('GET', '/v1/breakers/history');
    for (const key of ['cluster:north', 'cluster:south']) {
      const logged = history.transitions.filter((t) => `${t.scope}:${t.target_id}` === key).map((t) => t.to);
      expect((await states(key))?.split(' ').slice(1), key).toEqual(logged);
    }
    expect(await page.getAttribute('[data-testid=breakers-rows] tr[data-breaker="cluster:south"]', 'data-state')).toBe('open');
    await expect.poll(() => page.getAttribute('[data-testid=breakers-rows] tr[data-breaker="cluster:north"]', 'data-state'), { timeout: WAIT_MS }).toBe('closed');
    expect(await page.locator('[data-testid=breaker-timeline]').getAttribute('data-rows')).toBe('2');
    // The bands reached the canvas: open in vermillion, closed in green.
    await expect.poll(() => pixelsOf(page, '[data-testid=breaker-timeline]', '#D55E00'), { timeout: WAIT_MS }).toBeGreaterThan(50);
    expect(await pixelsOf(page, '[data-testid=breaker-timeline]', '#009E73')).toBeGreaterThan(50);
    await page.locator('[data-testid=breakers]').screenshot({ path: join(SHOTS, 'breakers.png') });
    await page.close();
  });
});
