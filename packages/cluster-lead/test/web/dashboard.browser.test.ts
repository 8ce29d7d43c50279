/**
 * The dashboard in a real headless Chromium (Debian's package, driven by playwright-core):
 * sign in with a token, the status box says what GET /v1/status says and follows it live,
 * the agents view pages through the registry, a read-only operator gets no action buttons,
 * and the API refuses a write whose CSRF token is missing or forged. Screenshots of each view
 * land in test-output/ui/ (the latest are committed in docs/ui/).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTestKit } from '../../src/api/api-test-kit.js';
import type { LeadStatusBody } from '../../src/api/index.js';
import { JobBoard, type JobEnd } from '../../src/jobs/index.js';
import { EventBus } from '../../src/lib/events.js';
import { silentLogger } from '../../src/lib/logger.js';
import { beat, harness, ids } from '../../src/registry/registry.test-helper.js';
import { SHOTS, WAIT_MS, startDashboardRig, textOf, type DashboardRig } from './dashboard-rig.js';

const AGENTS = 60;
const PAGE_SIZE = 25;

const kit = await apiTestKit({ now: Date.now });
const h = harness();
beat(h, ids('pi', AGENTS - 10), { clusterId: 'north' });
beat(h, ids('edge', 10), { clusterId: 'south' });

const board = new JobBoard(Date.now);
/** Operations running, as the status box counts them (the test starts and ends one). */
let inFlight = 0;

/** The status box computed from the registry, as the lead's status() does for its own fields. */
function status(): LeadStatusBody {
  const views = [...h.registry.agentIds()].map((id) => h.registry.get(id)!);
  const active = views.filter((v) => v.state === 'active');
  const scores = active.map((v) => v.impedance.impedanceScore).filter((s): s is number => typeof s === 'number');
  return {
    lead_id: 'lead-ui',
    cluster_id: 'north',
    mesh: {
      agents_active: active.length,
      agents_total: views.length,
      sectors_healthy: 1,
      sectors_total: 1,
      mean_impedance: scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length,
      conflicts_last_hour: 0,
      mode: h.registry.mode,
      frozen: false,
      last_cascade: null,
      operations: { in_flight: inFlight, queued: 0 },
    },
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
      agentAction: (id, action, reason) => {
        if (action === 'quarantine') h.registry.quarantine(id, reason);
        return h.registry.get(id);
      },
      jobs: board,
      readiness: () => [],
      logger: silentLogger(),
    },
    { events: new EventBus() },
  );
});

afterAll(async () => {
  await rig?.close();
});

const signIn = (page: Page, sub: 'admin' | 'viewer', role: 'operator' | 'read') => rig.signIn(page, sub, role);
const newPage = () => rig.context.newPage();
const text = textOf;
const rowCount = (page: Page) => page.locator('[data-testid=agents-rows] tr').count();

async function agentIds(page: Page): Promise<(string | null)[]> {
  const rows = page.locator('[data-testid=agents-rows] tr');
  const out: (string | null)[] = [];
  for (let i = 0, n = await rows.count(); i < n; i++) out.push(await rows.nth(i).getAttribute('data-agent'));
  return out;
}

describe('the dashboard in Chromium', () => {
  it('signs in with a token; the session cookie is HttpOnly and SameSite=Strict', async () => {
    const page = await newPage();
    await page.goto(`${rig.server.url}/ui/login`);
    await page.screenshot({ path: join(SHOTS, 'sign-in.png') });
    await signIn(page, 'admin', 'operator');
    const cookie = (await rig.context.cookies(rig.server.url)).find((c) => c.name === 'mesh_ui');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
    expect(await page.evaluate('document.cookie')).not.toContain('mesh_ui');
    expect(await text(page, 'who')).toBe('admin (operator)');
    await page.close();
  });

  it('shows the status box as GET /v1/status says, and follows it live', async () => {
    const page = await newPage();
    await signIn(page, 'admin', 'operator');
    const api = (await (await fetch(`${rig.server.url}/v1/status`, { headers: { authorization: `Bearer ${await rig.token('viewer', 'read')}` } })).json()) as LeadStatusBody;
    await expect.poll(() => text(page, 'status-agents'), { timeout: WAIT_MS }).toBe(`${api.mesh.agents_active} / ${api.mesh.agents_total}`);
    expect(await text(page, 'status-mode')).toBe(api.mesh.mode);
    expect(await text(page, 'status-conflicts')).toBe(String(api.mesh.conflicts_last_hour));
    expect(await text(page, 'status-cascade')).toBe('none');
    await page.screenshot({ path: join(SHOTS, 'status-and-agents.png'), fullPage: true });

    // The registry changes behind the page: the box follows through the feed, no reload.
    h.registry.quarantine('pi-00', 'browser test');
    const after = status().mesh;
    expect(after.agents_active).toBe(api.mesh.agents_active - 1);
    await expect.poll(() => text(page, 'status-agents'), { timeout: WAIT_MS }).toBe(`${after.agents_active} / ${after.agents_total}`);
    await page.close();
  });

  it('pages through the agents, filters by cluster and finds one by id', async () => {
    const page = await newPage();
    await signIn(page, 'viewer', 'read');
    const rows = () => agentIds(page);
    await expect.poll(() => rowCount(page), { timeout: WAIT_MS }).toBe(PAGE_SIZE);
    const first = await rows();
    expect(first[0]).toBe('edge-00');
    await page.click('[data-testid=page-next]');
    await expect.poll(() => text(page, 'page-number'), { timeout: WAIT_MS }).toBe('page 2');
    const second = await rows();
    expect(second).toHaveLength(PAGE_SIZE);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    await page.click('[data-testid=page-next]');
    await expect.poll(() => text(page, 'page-number'), { timeout: WAIT_MS }).toBe('page 3');
    expect(await rows()).toHaveLength(AGENTS - 2 * PAGE_SIZE);
    expect(await page.isDisabled('[data-testid=page-next]')).toBe(true);
    await page.click('[data-testid=page-prev]');
    await expect.poll(() => text(page, 'page-number'), { timeout: WAIT_MS }).toBe('page 2');
    expect(await rows()).toEqual(second);

    await page.fill('[data-testid=filter-cluster]', 'south');
    await page.press('[data-testid=filter-cluster]', 'Enter');
    await expect.poll(() => rowCount(page), { timeout: WAIT_MS }).toBe(10);
    expect((await rows()).every((id) => id?.startsWith('edge-'))).toBe(true);
    await page.selectOption('[data-testid=filter-class]', 'A');
    await expect.poll(() => rowCount(page), { timeout: WAIT_MS }).toBe(0);
    await page.selectOption('[data-testid=filter-class]', 'E');
    await expect.poll(() => rowCount(page), { timeout: WAIT_MS }).toBe(10);
    await page.fill('[data-testid=search-id]', 'edge-07');
    await page.press('[data-testid=search-id]', 'Enter');
    await expect.poll(() => rowCount(page), { timeout: WAIT_MS }).toBe(1);
    expect(await rows()).toEqual(['edge-07']);
    await page.fill('[data-testid=search-id]', '');
    await page.press('[data-testid=search-id]', 'Enter');
    await expect.poll(() => rowCount(page), { timeout: WAIT_MS }).toBe(10);
    await page.screenshot({ path: join(SHOTS, 'read-only-filtered.png'), fullPage: true });

    // A read-only operator sees no action buttons.
    expect(await page.$('[data-testid=controls]')).toBeNull();
    expect(await page.$('[data-testid=freeze]')).toBeNull();
    await page.close();
  });

  it('refuses a write from the page whose CSRF token is missing or forged, and takes the real one', async () => {
    const page = await newPage();
    await signIn(page, 'admin', 'operator');
    const statuses = await page.evaluate(async () => {
      const session = (await (await fetch('/ui/session')).json()) as { csrf_token: string };
      const post = (csrf: string | undefined) =>
        fetch('/v1/agents/pi-01/quarantine', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(csrf === undefined ? {} : { 'x-csrf-token': csrf }) },
          body: JSON.stringify({ reason: 'browser test' }),
        }).then((r) => r.status);
      return { missing: await post(undefined), forged: await post('forged-token'), real: await post(session.csrf_token) };
    });
    expect(statuses).toEqual({ missing: 403, forged: 403, real: 200 });
    expect(h.registry.get('pi-01')?.state).toBe('quarantined');
    expect(await page.isVisible('[data-testid=freeze]')).toBe(true);
    await page.close();
  });

  it('shows an operation appear live, then its arrival errors per release mode with T marked', async () => {
    const page = await newPage();
    await signIn(page, 'viewer', 'read');
    await expect.poll(() => text(page, 'operations-list'), { timeout: WAIT_MS }).toContain('No operation yet');
    let finish: (end: JobEnd) => void = () => undefined;
    board.start({ id: 'op-ui-1', kind: 'scatter_gather', state: 'RUNNING', done: new Promise<JobEnd>((resolve) => (finish = resolve)) });
    inFlight = 1;
    await expect.poll(() => text(page, 'operations-list'), { timeout: WAIT_MS }).toContain('op-ui-1 scatter_gather · RUNNING');
    const responders = [
      ...[-3, -1, 0, 1, 2].map((e, i) => ({ agent_id: `pi-0${i}`, mode: 'hold', outcome: 'ready', arrival_error_ms: e })),
      ...[-8, 4, 6].map((e, i) => ({ agent_id: `edge-0${i}`, mode: 'lead', outcome: 'ready', arrival_error_ms: e })),
      { agent_id: 'pi-09', mode: 'hold', outcome: 'refused', arrival_error_ms: 40 },
    ];
    finish({ ok: true, result: { status: 'SUCCESS', counts: { selected: 10, sent: 9, ready: 8 }, quorum: { decision: 'GO', achieved: true }, responders, stragglers: [], skipped: [{ agent_id: 'pi-10', reason: 'BREAKER_OPEN', detail: 'sector-1 breaker open' }] } });
    inFlight = 0;
    await expect.poll(() => text(page, 'operations-list'), { timeout: WAIT_MS }).toContain('op-ui-1 scatter_gather · SUCCEEDED');
    await page.click('[data-operation=op-ui-1]');
    // The CDF comes first (dashboard-charts.browser.test.ts); the histogram is the other view.
    await page.click('[data-testid=arrival-view] [data-view=histogram]');
    await page.waitForSelector('[data-testid=arrival-histogram]');
    expect(await text(page, 'operation-figures')).toBe('sent 9 of 10 · ready 8 · quorum GO (achieved) · stragglers 0 · skipped 1');
    const bars = async (mode: string) => {
      const rects = page.locator(`[data-testid=arrival-histogram] rect[data-mode=${mode}]`);
      let total = 0;
      for (let i = 0, n = await rects.count(); i < n; i++) total += Number(await rects.nth(i).getAttribute('data-count'));
      return total;
    };
    expect(await bars('hold')).toBe(5);
    expect(await bars('lead')).toBe(3);
    expect(await page.locator('[data-testid=arrival-histogram] text', { hasText: /^T$/ }).count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'operation-histogram.png'), fullPage: true });
    await page.close();
  });
});
