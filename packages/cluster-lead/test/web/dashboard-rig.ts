/**
 * What the dashboard's browser tests share: the lead's API and dashboard on a local port, a
 * headless Chromium (Debian's package, or MESH_CHROMIUM) with a fresh profile, tokens for the
 * API test kit's two operators, and sign-in through the page. Screenshots go to test-output/ui/.
 */
import type { OperatorRole } from '@mesh30k/shared';
import type { BrowserContext, Page } from 'playwright-core';
import type { ApiTestKit } from '../../src/api/api-test-kit.js';
import { createApi, startApiServer, type ApiDeps, type ApiServer } from '../../src/api/index.js';
import { createWebUi, type WebUi, type WebUiDeps } from '../../src/web/index.js';
import { apiToken, launchChromium, signInWithToken } from './browser.js';

export { SHOTS, WAIT_MS } from './browser.js';

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
  const ui = createWebUi({ access: kit.access, status: api.status, logger: api.logger, statusIntervalMs: 100, ...web });
  const server = await startApiServer(createApi({ ...api, web: ui, access: kit.access }), { host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  const token = (sub: 'admin' | 'viewer', role: OperatorRole) => apiToken(kit, sub, role);
  return {
    server,
    web: ui,
    context: browser.context,
    token,
    signIn: async (page, sub, role) => signInWithToken(page, server.url, await token(sub, role)),
    close: async () => {
      await browser.close();
      ui.close();
      await server.close();
    },
  };
}

export const textOf = (page: Page, id: string) => page.textContent(`[data-testid=${id}]`);
