/**
 * What the dashboard's browser tests share: Debian's headless Chromium with a fresh profile
 * (playwright-core, executable path set), where screenshots go, how long to wait for the page,
 * and sign-in through the page itself.
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
/** Screenshots of each run; the latest worth showing are copied into docs/ui/. */
export const SHOTS = join(process.cwd(), 'test-output', 'ui');
/** Deadline for the page to show what a test waits for (polled, not slept). */
export const WAIT_MS = 10_000;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport: { width: number; height: number } = { width: 1200, height: 900 }): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'mesh-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const shot = (name: string) => join(SHOTS, name);

/** A token of one of the API test kit's two operators, valid for ten minutes. */
export const apiToken = (kit: ApiTestKit, sub: 'admin' | 'viewer', role: OperatorRole): Promise<string> =>
  issueApiToken(nodeEd25519.signerSync(kit.keys[sub].privateKey), { sub, role, iat: Date.now(), exp: Date.now() + 600_000 });

/** Signs in by pasting a token (the app without a session sends the browser to /ui/login), and waits for the live feed. */
export async function signInWithToken(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${baseUrl}/ui/`);
  expect(new URL(page.url()).pathname).toBe('/ui/login');
  await page.fill('[data-testid=token]', token);
  await page.click('[data-testid=sign-in]');
  await page.waitForURL(`${baseUrl}/ui/`);
  await page.waitForSelector('[data-testid=live][data-state=live]');
}

/** Signs in with a key file: the page makes the token itself. Leaves the page where the sign-in took it. */
export async function signInWithKey(page: Page, baseUrl: string, input: { operatorId: string; keyFile: string; role?: 'operator' | 'read' }): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${baseUrl}/ui/login`);
  await page.fill('[data-testid=key-operator]', input.operatorId);
  await page.setInputFiles('[data-testid=key-file]', input.keyFile);
  await page.selectOption('[data-testid=key-role]', input.role ?? 'operator');
  await page.click('[data-testid=key-sign-in]');
}

/** GET a /v1 route with a token, as the page's numbers must match it. */
export async function apiGet<T>(url: string, path: string, token: string): Promise<T> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}
