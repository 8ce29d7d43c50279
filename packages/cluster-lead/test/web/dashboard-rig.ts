/**
 * What the dashboard's browser tests share: the lead's API and dashboard on a local port, a
 * headless Chromium (Debian's package, or MESH_CHROMIUM) with a fresh profile, tokens for the
 * API test kit's two operators, and sign-in through the page. Screenshots go to test-output/ui/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueApiToken, type OperatorRole } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { ApiTestKit } from '../../src/api/api-test-kit.js';
import { createApi, startApiServer, type ApiDeps, type ApiServer } from '../../src/api/index.js';
import { createWebUi, type WebUi, type WebUiDeps } from '../../src/web/index.js';

export const CHROMIUM = process.env.MESH_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(process.cwd(), 'test-output', 'ui');
/** Deadline for the page to show what a test waits for (polled, not slept). */
export const WAIT_MS = 10_000;

export interface DashboardRig {
  readonly server: ApiServer;
  readonly web: WebUi;
  readonly context: BrowserContext;
  token(sub: 'admin' | 'viewer', role: OperatorRole): Promise<string>;
  /** Signs the page in through /ui/login and waits for the live feed. */
  signIn(page: Page, sub: 'admin' | 'viewer', role: OperatorRole): Promise<void>;
  close(): Promise<void>;
}

/** Starts the API (with `api`'s parts) and its dashboard on 127.0.0.1, and Chromium. */
export async function startDashboardRig(kit: ApiTestKit, api: Omit<ApiDeps, 'web' | 'access'>, web: Partial<Omit<WebUiDeps, 'access' | 'status' | 'logger'>> = {}): Promise<DashboardRig> {
  mkdirSync(SHOTS, { recursive: true });
  const ui = createWebUi({ access: kit.access, status: api.status, logger: api.logger, statusIntervalMs: 100, ...web });
  const server = await startApiServer(createApi({ ...api, web: ui, access: kit.access }), { host: '127.0.0.1', port: 0 });
  const profile = mkdtempSync(join(tmpdir(), 'mesh-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
  });
  const token = (sub: 'admin' | 'viewer', role: OperatorRole) => issueApiToken(nodeEd25519.signerSync(kit.keys[sub].privateKey), { sub, role, iat: Date.now(), exp: Date.now() + 600_000 });
  return {
    server,
    web: ui,
    context,
    token,
    signIn: async (page, sub, role) => {
      await context.clearCookies();
      await page.goto(`${server.url}/ui/`);
      expect(new URL(page.url()).pathname).toBe('/ui/login');
      await page.fill('[data-testid=token]', await token(sub, role));
      await page.click('[data-testid=sign-in]');
      await page.waitForURL(`${server.url}/ui/`);
      await page.waitForSelector('[data-testid=live][data-state=live]');
    },
    close: async () => {
      await context.close();
      ui.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const textOf = (page: Page, id: string) => page.textContent(`[data-testid=${id}]`);
