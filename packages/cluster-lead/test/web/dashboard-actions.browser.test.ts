/**
 * The dashboard's actions in a real headless Chromium against a real mesh (nats-server, a
 * `mesh-lead run` process, simulated agents; test/harness): sign in with the operator's key
 * file (the page makes the token; a wrong key is refused), quarantine then recover an agent from
 * its row, heal, start a scatter-gather from the form and see it in operations, a read-only
 * operator sees no buttons and a forged write is refused, and the page fits a phone.
 * Screenshots: test-output/ui/ (actions.png, phone.png, key-sign-in.png are copied to docs/ui/).
 */
import { join } from 'node:path';
import { toBase64Url } from '@mesh30k/shared';
import { generateKeyFile } from '@mesh30k/shared/node';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startLocalMesh, type LocalMesh, type TempDir } from '../../../../test/harness/index.js';
import { WAIT_MS, launchChromium, shot, signInWithKey, type Browser } from './browser.js';

const AGENTS = 6;

interface AgentBody {
  agent_id: string;
  state: string;
  health: { state: string };
}

let mesh: LocalMesh;
let browser: Browser;
let dir: TempDir;
let wrongKey: string;

beforeAll(async () => {
  [mesh, browser, dir] = await Promise.all([startLocalMesh({ agents: AGENTS, seed: 19 }), launchChromium(), makeTempDir()]);
  wrongKey = join(dir.path, 'wrong.key');
  await generateKeyFile(wrongKey);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await mesh?.stop();
  await dir?.dispose();
});

const agent = async (id: string) => (await mesh.api.getOk<AgentBody>(`/v1/agents/${id}`))!;
const text = (page: Page, id: string) => page.textContent(`[data-testid=${id}]`);

async function operatorPage(role: 'operator' | 'read' = 'operator'): Promise<Page> {
  const page = await browser.context.newPage();
  await signInWithKey(page, mesh.leadUrl, { operatorId: mesh.operator.id, keyFile: mesh.operator.keyFile, role });
  await page.waitForURL(`${mesh.leadUrl}/ui/`);
  await page.waitForSelector('[data-testid=live][data-state=live]');
  await page.waitForSelector('[data-testid=agents-rows] tr');
  return page;
}

/** Shows one agent's row (search by id). */
async function showAgent(page: Page, id: string): Promise<void> {
  await page.fill('[data-testid=search-id]', id);
  await page.press('[data-testid=search-id]', 'Enter');
  await expect.poll(() => page.locator('[data-testid=agents-rows] tr').count(), { timeout: WAIT_MS }).toBe(1);
}

/** Clicks a row action, confirms it with a reason and waits for the answer. */
async function rowAction(page: Page, id: string, action: string, reason: string, screenshot?: string): Promise<string> {
  await page.click(`tr[data-agent="${id}"] button[data-action=${action}]`);
  await page.waitForSelector('[data-testid=confirm-dialog][open]');
  await page.fill('[data-testid=confirm-reason]', reason);
  if (screenshot !== undefined) await page.screenshot({ path: shot(screenshot) });
  await page.click('[data-testid=confirm-ok]');
  await page.waitForSelector('[data-testid=confirm-message].ok, [data-testid=confirm-message].error');
  return (await text(page, 'confirm-message')) ?? '';
}

describe('dashboard actions in Chromium against a real lead', () => {
  it('signs in with the key file (the key never leaves the page) and refuses a wrong key', async () => {
    const page = await browser.context.newPage();
    const sent: string[] = [];
    page.on('request', (request: Request) => sent.push(`${request.url()} ${request.postData() ?? ''}`));

    await signInWithKey(page, mesh.leadUrl, { operatorId: mesh.operator.id, keyFile: wrongKey });
    await expect.poll(() => text(page, 'key-error'), { timeout: WAIT_MS }).toMatch(/^401: /);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await page.screenshot({ path: shot('key-sign-in.png'), fullPage: true });

    await signInWithKey(page, mesh.leadUrl, { operatorId: mesh.operator.id, keyFile: mesh.operator.keyFile });
    await page.waitForURL(`${mesh.leadUrl}/ui/`);
    expect(await text(page, 'who')).toBe(`${mesh.operator.id} (operator)`);
    const privateKey = toBase64Url(mesh.operator.privateKey);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((line) => line.includes(privateKey))).toEqual([]);
    await page.close();
  });

  it('quarantines then recovers an agent from its row, with the CSRF token and an Idempotency-Key', async () => {
    const id = mesh.agentIds[0]!;
    await expect.poll(async () => (await agent(id)).state, { timeout: WAIT_MS }).toBe('active');
    const page = await operatorPage();
    const writes: Record<string, string>[] = [];
    page.on('request', (request: Request) => {
      if (request.method() === 'POST' && request.url().includes('/v1/')) writes.push(request.headers());
    });
    await showAgent(page, id);

    expect(await rowAction(page, id, 'quarantine', 'browser test')).toBe(`${id}: quarantined (health quarantined)`);
    expect(await agent(id)).toMatchObject({ state: 'quarantined', health: { state: 'quarantined' } });
    await page.click('[data-testid=confirm-cancel]');
    // The row is drawn again from the API: now it offers recover instead of quarantine.
    await page.waitForSelector(`tr[data-agent="${id}"] button[data-action=recover]`, { timeout: WAIT_MS });
    expect(await page.textContent(`tr[data-agent="${id}"] .state`)).toBe('quarantined');

    expect(await rowAction(page, id, 'recover', 'fan replaced', 'actions.png')).toMatch(new RegExp(`^${id}: \\w+ \\(health probation\\)$`));
    expect((await agent(id)).health.state).toBe('probation');
    expect(writes).toHaveLength(2);
    for (const headers of writes) {
      expect(headers['idempotency-key']).toMatch(/^ui-[0-9a-f]{32}$/);
      expect(headers['x-csrf-token']).toBeTruthy();
    }
    expect(writes[0]!['idempotency-key']).not.toBe(writes[1]!['idempotency-key']);
    await page.close();
  });

  it('heals: a quarantined agent goes back on probation', async () => {
    const id = mesh.agentIds[1]!;
    expect((await mesh.api.post(`/v1/agents/${id}/quarantine`, { reason: 'heal test' })).status).toBe(200);
    const page = await operatorPage();
    await page.click('[data-testid=heal]');
    await page.waitForSelector('[data-testid=confirm-dialog][open]');
    await page.click('[data-testid=confirm-ok]');
    await page.waitForSelector('[data-testid=confirm-message].ok', { timeout: WAIT_MS });
    expect(await text(page, 'confirm-message')).toMatch(/^op-\S+ SUCCEEDED: \d+ agents recovered, \d+ breakers reset$/);
    expect((await agent(id)).health.state).toBe('probation');
    await page.close();
  });

  it('starts a scatter-gather from the form, checks the payload first, shows the API problem, and lists the operation', async () => {
    const page = await operatorPage();
    const posts: string[] = [];
    page.on('request', (request: Request) => {
      if (request.method() === 'POST' && request.url().endsWith('/v1/operations')) posts.push(request.postData() ?? '');
    });

    // Checked in the page: nothing is sent.
    await page.fill('[data-testid=op-payload]', '{"note": ');
    await page.click('[data-testid=op-start]');
    await expect.poll(() => text(page, 'op-message'), { timeout: WAIT_MS }).toMatch(/^payload: not valid JSON/);
    expect(posts).toEqual([]);

    // Fits the page's checks, refused by the API: its problem detail is shown.
    await page.selectOption('[data-testid=op-verb]', 'act');
    await page.fill('[data-testid=op-payload]', '{"action": "set"}');
    await page.click('[data-testid=op-start]');
    await expect.poll(() => text(page, 'op-message'), { timeout: WAIT_MS }).toMatch(/^400: payload\.output/);

    await page.selectOption('[data-testid=op-verb]', 'record');
    await page.fill('[data-testid=op-payload]', '{"note": "from the dashboard"}');
    await page.selectOption('[data-testid=op-release]', 'hold');
    await page.fill('[data-testid=op-quorum]', '50');
    await page.click('[data-testid=op-start]');
    await page.waitForSelector('[data-testid=op-message][data-operation]', { timeout: WAIT_MS });
    const operationId = (await page.getAttribute('[data-testid=op-message]', 'data-operation'))!;
    expect(JSON.parse(posts.at(-1)!)).toEqual({ kind: 'scatter_gather', verb: 'record', selector: { all: true }, payload: { note: 'from the dashboard' }, release_mode: 'hold', min_response_rate: 0.5 });
    await expect.poll(() => text(page, 'operations-list'), { timeout: WAIT_MS }).toContain(operationId);
    await expect.poll(async () => (await mesh.api.getOk<{ state: string }>(`/v1/operations/${operationId}`))?.state, { timeout: 30_000 }).toBe('SUCCEEDED');
    await page.close();
  });

  it('gives a read-only operator no action buttons, and the API refuses a forged write', async () => {
    const id = mesh.agentIds[2]!;
    const page = await operatorPage('read');
    expect(await text(page, 'who')).toBe(`${mesh.operator.id} (read)`);
    for (const selector of ['[data-action]', '[data-testid=op-form]', '[data-testid=heal]', '[data-testid=freeze]', '[data-testid=operator-actions]']) {
      expect(await page.locator(selector).count(), selector).toBe(0);
    }
    const answers = await page.evaluate(async (agentId) => {
      const session = (await (await fetch('/ui/session')).json()) as { csrf_token: string };
      const post = async (path: string, body: unknown) => {
        const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf_token, 'idempotency-key': `forged-${path.length}` }, body: JSON.stringify(body) });
        return { status: response.status, code: ((await response.json()) as { code?: string }).code };
      };
      return [await post(`/v1/agents/${agentId}/quarantine`, { reason: 'forged' }), await post('/v1/operations', { verb: 'record', selector: { all: true } }), await post('/v1/heal', {})];
    }, id);
    expect(answers).toEqual([403, 403, 403].map((status) => ({ status, code: 'FORBIDDEN' })));
    expect((await agent(id)).state).not.toBe('quarantined');
    await page.close();
  });

  it('fits a 390x844 phone: no horizontal scrolling of the page, the table scrolls in its box, the nav collapses', async () => {
    const page = await operatorPage();
    await page.setViewportSize({ width: 390, height: 844 });
    // Strings: the root tsconfig has no DOM types; these run in the page.
    const overflow = () => page.evaluate<{ scroll: number; inner: number }>('({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })');
    await expect.poll(async () => { const o = await overflow(); return o.scroll <= o.inner; }, { timeout: WAIT_MS }).toBe(true);
    const table = await page.evaluate<{ scroll: number; client: number }>("(({ scrollWidth, clientWidth }) => ({ scroll: scrollWidth, client: clientWidth }))(document.querySelector('.table-wrap'))");
    expect(table.scroll).toBeGreaterThan(table.client);
    expect(await page.isVisible('[data-testid=nav-toggle]')).toBe(true);
    expect(await page.isVisible('[data-testid=nav] a')).toBe(false);
    await page.click('[data-testid=nav-toggle]');
    expect(await page.isVisible('[data-testid=nav] a[href="#view-agents"]')).toBe(true);
    await page.screenshot({ path: shot('phone.png'), fullPage: false });
    await page.click('[data-testid=nav] a[href="#view-agents"]');
    expect(await page.isVisible('[data-testid=nav] a')).toBe(false);
    expect((await overflow()).scroll).toBeLessThanOrEqual((await overflow()).inner);

    // The sign-in page fits too.
    await page.context().clearCookies();
    await page.goto(`${mesh.leadUrl}/ui/login`);
    await page.waitForSelector('[data-testid=key-form]');
    const login = await overflow();
    expect(login.scroll).toBeLessThanOrEqual(login.inner);
    await page.close();
  });
});
