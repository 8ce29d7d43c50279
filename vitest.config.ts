import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// One runner for the repository, two runtimes: Node for daemons, leads and the harness,
// workerd for the Worker and for proving that `shared` runs there unchanged.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['packages/edge-worker/**', '**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            miniflare: { compatibilityDate: '2026-04-01', compatibilityFlags: ['nodejs_compat'] },
          }),
        ],
        test: {
          name: 'workerd',
          // Every runtime-neutral test of `shared` runs here too; only the Node adapter stays out.
          include: ['packages/shared/src/**/*.test.ts'],
          exclude: ['packages/shared/src/node/**'],
        },
      },
    ],
  },
});
