import { generateKeyPairSync } from 'node:crypto';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

/**
 * Secrets and test-only bindings of the `edge-worker` project: fresh Ed25519 keys for the
 * Worker and for a test lead, made per run, never committed. TEST_* exist only in tests, so
 * they can sign as the lead and verify what the Worker signs.
 */
function edgeWorkerTestBindings(): Record<string, string> {
  const seedAndPublic = () => {
    const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    return { seed: jwk.d!, publicKey: jwk.x! };
  };
  const agent = seedAndPublic();
  const lead = seedAndPublic();
  return {
    AGENT_PRIVATE_KEY: agent.seed,
    LEAD_PUBLIC_KEYS: `lead-test=${lead.publicKey}`,
    TEST_LEAD_ID: 'lead-test',
    TEST_LEAD_PRIVATE_KEY: lead.seed,
    TEST_AGENT_PUBLIC_KEY: agent.publicKey,
  };
}

// One runner for the repository, two runtimes: Node for daemons, leads and the harness,
// workerd for the Worker and for proving that `shared` runs there unchanged. Unit tests run
// in parallel; integration tests run one file at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['packages/*/src/**/*.test.ts'],
          exclude: ['packages/edge-worker/**', '**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // Real processes, real nats-servers, real links with timing bounds: one file at a time,
        // so files do not steal each other's CPU on a 2-core machine and bend the timings.
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['packages/edge-worker/**', '**/node_modules/**'],
          fileParallelism: false,
          globalSetup: ['test/harness/global-bundles.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
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
      {
        // The edge Worker itself, in workerd with its own wrangler.jsonc: Durable Object,
        // bindings and vars as deployed; keys are made fresh per run (never committed).
        plugins: [
          cloudflareTest({
            main: './packages/edge-worker/src/index.ts',
            wrangler: { configPath: './packages/edge-worker/wrangler.jsonc' },
            miniflare: { bindings: edgeWorkerTestBindings() },
          }),
        ],
        test: {
          name: 'edge-worker',
          include: ['packages/edge-worker/{src,test}/**/*.test.ts'],
        },
      },
    ],
  },
});
