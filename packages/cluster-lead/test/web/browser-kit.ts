/**
 * Test-only: what a dashboard browser test needs around the page, as the first browser test
 * does it: Debian's Chromium (MESH_CHROMIUM to override) headless in a fresh profile, API
 * tokens from the api test kit's operator keys, and the sign-in through the login page.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueApiToken, type OperatorRole } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { ApiTestKit } from '../../src/api/api-test-kit.js';

export const CHROMIUM = process.env.MESH_CHROMIUM ?? '/usr/bin/chromium';
/** Where screenshots land; the latest are copied into docs/ui/ by hand. */
export const SHOTS = join(process.cwd(), 'test-output', 'ui');
/** Deadline for the page to show what a test waits for (polled, not slept). */
export const WAIT_MS = 10_000;

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1200, height: 900 }): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'mesh-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const apiToken = (kit: ApiTestKit, sub: 'admin' | 'viewer', role: OperatorRole): Promise<string> =>
  issueApiToken(nodeEd25519.signerSync(kit.keys[sub].privateKey), { sub, role, iat: Date.now(), exp: Date.now() + 600_000 });

/** Signs in through /ui/login and waits for the live feed. */
export async function signIn(context: BrowserContext, page: Page, url: string, token: string): Promise<void> {
  await context.clearCookies();
  await page.goto(`${url}/ui/`);
  expect(new URL(page.url()).pathname).toBe('/ui/login');
  await page.fill('[data-testid=token]', token);
  await page.click('[data-testid=sign-in]');
  await page.waitForURL(`${url}/ui/`);
  await page.waitForSelector('[data-testid=live][data-state=live]');
}

/** GET a /v1 route with a read token, as the page's numbers must match it. */
export async function apiGet<T>(url: string, path: string, token: string): Promise<T> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}
