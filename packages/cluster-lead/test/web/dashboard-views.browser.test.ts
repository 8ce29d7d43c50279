/**
 * The dashboard's pages behind the overview, in a real headless Chromium: an agent's page
 * (history charts, health, sensors, conflicts, outcomes) showing what the API answers, the
 * conflict log following a conflict logged during the test and filtering by operation, and the
 * lead tree with a child lead's subtree. Screenshots land in test-output/ui/ (latest in docs/ui/).
 */
import { join } from 'node:path';
import { decodeThrottled } from '@mesh30k/shared';
import { sampleHealth, sampleMessage } from '@mesh30k/shared/testing';
import Database from 'better-sqlite3';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTestKit } from '../../src/api/api-test-kit.js';
import { createApi, startApiServer, type ApiServer, type LeadStatusBody } from '../../src/api/index.js';
import { ChildLeadTable } from '../../src/cascade/child-table.js';
import { EventBus } from '../../src/lib/events.js';
import { silentLogger } from '../../src/lib/logger.js';
import { enrollment, harness, heartbeat, ids, INTERVAL } from '../../src/registry/registry.test-helper.js';
import { ConflictLog, SensorReadings, migrate } from '../../src/store/index.js';
import { createWebUi, type WebUi } from '../../src/web/index.js';
import { apiGet, apiToken, launchChromium, SHOTS, signInWithToken, WAIT_MS, type Browser } from './browser.js';

const kit = await apiTestKit({ now: Date.now });
const h = harness();
const AGENT = 'pi-03';
const BEATS = 12;
/** Conflicts logged before the page opens: more than one page of the view (20). */
const SEEDED = 22;

// Heartbeats with moving figures, so the charts have a shape; pi-03 is hot, throttled and under-volted.
for (let beat = 0; beat < BEATS; beat++) {
  for (const id of ids('pi', 6)) {
    const hot = id === AGENT;
    const overrides = {
      clock: { offset_ms: -1.5 + Math.sin(beat / 2) * 0.8, delay_ms: 11.5, drift_ppm: 12.5, confidence: 0.9, error_bound_ms: 2 + (beat % 4) * 0.5, samples: 8 + beat },
      ...(hot ? { health: sampleHealth({ temperature_c: 71.5, throttle: decodeThrottled(0x50005) }) } : {}),
    };
    h.registry.recordHeartbeat(heartbeat(id, h.clock.now(), { clusterId: 'north' }, overrides, { impedance_score: 200 + beat * 7 + (hot ? 40 : 0) }), { receivedAt: h.clock.now(), enrollment: enrollment(id, { clusterId: 'north' }) });
  }
  h.clock.advance(INTERVAL);
}
h.registry.recordOutcome(AGENT, { result: 'success', processingMs: 12.5, operationId: 'op-ui-7' });
h.registry.recordOutcome(AGENT, { result: 'timeout', operationId: 'op-ui-8' });

const db = new Database(':memory:');
migrate(db);
const conflicts = new ConflictLog(db);
const sensors = new SensorReadings(db);
const encoder = new TextEncoder();
let conflictSeq = 0;
function logConflict(agentId: string, operationId: string | null): string {
  const conflictId = `cf-ui-${String(++conflictSeq).padStart(3, '0')}`;
  conflicts.append({ conflictId, receivedAt: Date.now(), agentId, operationId, conflictType: 'DATA_CONTRADICTION', priority: 2, signerId: agentId, signature: 'sig', body: encoder.encode(JSON.stringify({ conflict_id: conflictId })) });
  return conflictId;
}
for (let i = 0; i < SEEDED; i++) logConflict(`pi-0${i % 6}`, i % 2 === 0 ? 'op-ui-1' : null);
sensors.record({ agentId: AGENT, sensorId: 'relay-1', sensorKind: 'gpio.output', value: true, unit: null, error: null, sampledAt: Date.now() - 2_000, seq: 4, bootId: '', receivedAt: Date.now() - 1_500 });

// A child lead that reported its subtree to this one.
const children = new ChildLeadTable(60_000);
children.record(sampleMessage('SUMMARY', { sender: 'lead-east', at: Date.now(), overrides: { cluster_id: 'east', sector_id: 'sector-e1' } }), Date.now());

function status(): LeadStatusBody {
  const views = [...h.registry.agentIds()].map((id) => h.registry.get(id)!);
  const child = children.all(Date.now())[0]!.summary;
  return {
    lead_id: 'lead-ui',
    cluster_id: 'north',
    mesh: {
      agents_active: views.filter((v) => v.state === 'active').length + child.by_state.active,
      agents_total: views.length + child.agent_count,
      sectors_healthy: 1,
      sectors_total: 1,
      mean_impedance: null,
      conflicts_last_hour: conflicts.countSince(Date.now() - 3_600_000),
      mode: h.registry.mode,
      frozen: false,
      last_cascade: null,
      operations: { in_flight: 0, queued: 0 },
    },
  } as unknown as LeadStatusBody;
}

let server: ApiServer;
let web: WebUi;
let browser: Browser;
let reader: string;

beforeAll(async () => {
  web = createWebUi({ access: kit.access, status, events: new EventBus(), logger: silentLogger(), statusIntervalMs: 100 });
  const api = createApi({
    web,
    access: kit.access,
    status,
    agent: (id) => h.registry.get(id),
    agentIndex: { ids: () => h.registry.agentIds(), size: () => h.registry.size },
    agentHistory: (id) => h.registry.recentHistory(id),
    sensors,
    conflicts: (query) => conflicts.query(query),
    tree: { self: { leadId: 'lead-ui', clusterId: 'north', sectorId: null, parentLeadId: null }, mesh: () => status().mesh, children: () => children.all(Date.now()) },
    readiness: () => [],
    logger: silentLogger(),
  });
  server = await startApiServer(api, { host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  reader = await apiToken(kit, 'viewer', 'read');
});

afterAll(async () => {
  await browser?.close();
  web?.close();
  await server?.close();
  db.close();
});

const text = (page: Page, id: string) => page.textContent(`[data-testid=${id}]`);
const attr = (page: Page, id: string, name: string) => page.getAttribute(`[data-testid=${id}]`, name);
async function attrs(locator: Locator, name: string): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (let i = 0, n = await locator.count(); i < n; i++) out.push(await locator.nth(i).getAttribute(name));
  return out;
}
const conflictIds = (page: Page) => attrs(page.locator('[data-testid=conflicts-rows] tr'), 'data-conflict');

interface AgentAnswer {
  impedance: { impedance_score: number };
  clock: { offset_ms: number; error_bound_ms: number };
  system_health: { temperature_c: number };
}
interface HistoryAnswer {
  capacity: number;
  samples: unknown[];
  outcomes: { operation_id: string | null; result: string }[];
}

describe('the dashboard pages in Chromium', () => {
  it("opens an agent's page from the agents list and shows what the API says", async () => {
    const page = await browser.context.newPage();
    await signInWithToken(page, server.url, reader);
    await page.fill('[data-testid=search-id]', AGENT);
    await page.press('[data-testid=search-id]', 'Enter');
    await page.click(`[data-agent-link="${AGENT}"]`);
    await page.waitForURL(`${server.url}/ui/#/agents/${AGENT}`);
    await page.waitForSelector('[data-testid=agent-impedance]');

    const agent = await apiGet<AgentAnswer>(server.url, `/v1/agents/${AGENT}`, reader);
    const history = await apiGet<HistoryAnswer>(server.url, `/v1/agents/${AGENT}/history`, reader);
    expect(await text(page, 'agent-id')).toBe(AGENT);
    expect(await text(page, 'agent-impedance')).toBe(agent.impedance.impedance_score.toFixed(3));
    expect(await text(page, 'agent-offset')).toBe(agent.clock.offset_ms.toFixed(3));
    expect(await text(page, 'agent-error-bound')).toBe(`± ${agent.clock.error_bound_ms.toFixed(3)}`);
    expect(await text(page, 'agent-temperature')).toBe(`${agent.system_health.temperature_c.toFixed(1)} °C`);
    expect(await text(page, 'agent-throttling')).toBe('throttled');
    expect(await text(page, 'agent-under-voltage')).toBe('yes');

    // Every sample of the history drawn, in both charts, the offset with its error band.
    expect(history.samples).toHaveLength(BEATS);
    expect(await attr(page, 'impedance-chart', 'data-points')).toBe(String(BEATS));
    expect(await attr(page, 'offset-chart', 'data-points')).toBe(String(BEATS));
    expect(await page.locator('[data-testid=offset-chart-band]').count()).toBe(1);
    expect(await text(page, 'history-count')).toContain(`${BEATS} samples of ${history.capacity}`);

    const outcomes = page.locator('[data-testid=agent-outcomes] tbody tr');
    expect(await outcomes.count()).toBe(history.outcomes.length);
    expect(await outcomes.first().textContent()).toContain('op-ui-8');
    expect(await outcomes.first().textContent()).toContain('timeout');
    expect(await page.locator('[data-testid=agent-sensors] tr[data-sensor=relay-1]').textContent()).toContain('true');
    const own = await apiGet<{ conflicts: { conflict_id: string }[] }>(server.url, `/v1/conflicts?agent=${AGENT}&page_size=10`, reader);
    expect(await attrs(page.locator('[data-testid=agent-conflicts] li[data-conflict]'), 'data-conflict')).toEqual(own.conflicts.map((c) => c.conflict_id));
    await page.screenshot({ path: join(SHOTS, 'agent.png'), fullPage: true });

    // A link straight to an unknown agent says so.
    await page.goto(`${server.url}/ui/#/agents/nobody`);
    await expect.poll(() => text(page, 'agent-error'), { timeout: WAIT_MS }).toBe('No agent "nobody" on this lead.');
    await page.close();
  });

  it('lists the conflict log newest first, follows a conflict logged now, pages and filters', async () => {
    const page = await browser.context.newPage();
    await signInWithToken(page, server.url, reader);
    await page.click('[data-nav=conflicts]');
    await expect.poll(async () => (await conflictIds(page)).length, { timeout: WAIT_MS }).toBe(20);
    const first = await apiGet<{ conflicts: { conflict_id: string }[] }>(server.url, '/v1/conflicts?page_size=20', reader);
    expect(await conflictIds(page)).toEqual(first.conflicts.map((c) => c.conflict_id));

    // Logged behind the page: the status count moves and the first page is fetched again.
    const fresh = logConflict('pi-05', 'op-ui-9');
    await expect.poll(async () => (await conflictIds(page))[0], { timeout: WAIT_MS }).toBe(fresh);
    await page.screenshot({ path: join(SHOTS, 'conflicts.png'), fullPage: true });

    await page.click('[data-testid=conflicts-next]');
    await expect.poll(() => text(page, 'conflicts-page'), { timeout: WAIT_MS }).toBe('page 2');
    expect(await conflictIds(page)).toHaveLength(SEEDED + 1 - 20);
    expect(await page.isDisabled('[data-testid=conflicts-next]')).toBe(true);

    await page.fill('[data-testid=conflicts-operation]', 'op-ui-9');
    await page.press('[data-testid=conflicts-operation]', 'Enter');
    await expect.poll(() => conflictIds(page), { timeout: WAIT_MS }).toEqual([fresh]);
    await page.fill('[data-testid=conflicts-operation]', '');
    await page.fill('[data-testid=conflicts-agent]', 'pi-01');
    await page.press('[data-testid=conflicts-agent]', 'Enter');
    const mine = await apiGet<{ conflicts: { conflict_id: string }[] }>(server.url, '/v1/conflicts?agent=pi-01&page_size=20', reader);
    await expect.poll(() => conflictIds(page), { timeout: WAIT_MS }).toEqual(mine.conflicts.map((c) => c.conflict_id));
    await page.close();
  });

  it('shows the lead tree: this lead and its child lead, each with its subtree summary', async () => {
    const page = await browser.context.newPage();
    await signInWithToken(page, server.url, reader);
    await page.click('[data-nav=tree]');
    const tree = await apiGet<{ agents_active: number; agents_total: number; mode: string; children: { lead_id: string; agent_count: number; by_state: { active: number }; mode: string }[] }>(server.url, '/v1/tree', reader);
    await expect.poll(() => text(page, 'lead-summary-lead-ui'), { timeout: WAIT_MS }).toBe(`${tree.agents_active} / ${tree.agents_total} agents active · ${tree.mode}`);
    const child = tree.children[0]!;
    expect(child.lead_id).toBe('lead-east');
    expect(await text(page, 'lead-summary-lead-east')).toBe(`${child.by_state.active} / ${child.agent_count} agents active · ${child.mode}`);
    expect(await page.locator('[data-lead=lead-ui] [data-lead=lead-east]').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'tree.png'), fullPage: true });
    await page.close();
  });
});
