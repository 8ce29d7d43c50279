import { generateKeyPairSync } from 'node:crypto';
import { availableParallelism } from 'node:os';
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

const INTEGRATION = ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'];
const INTEGRATION_EXCLUDE = ['packages/edge-worker/**', '**/node_modules/**'];

/**
 * Integration files that assert a timing bound (arrival error, spread, clock offset, a rate
 * limit's count per second, a stop deadline, no heartbeat missed): they run alone, one at a time. A new file that
 * measures time in what it asserts belongs here.
 */
const TIMED = [
  'packages/cluster-lead/test/cascade/two-level-cascade.integration.test.ts',
  'packages/cluster-lead/test/delegation/delegation.integration.test.ts',
  'packages/cluster-lead/test/edge/mixed-scatter.integration.test.ts',
  'packages/cluster-lead/test/ha/jetstream-failover.integration.test.ts',
  'packages/cluster-lead/test/ha/job-failover.integration.test.ts',
  'packages/cluster-lead/test/ha/jetstream-follow.integration.test.ts',
  'packages/cluster-lead/test/ha/lead-failover.integration.test.ts',
  'packages/cluster-lead/test/ha/lead-fencing.integration.test.ts',
  'packages/cluster-lead/test/ha/lease-failover.integration.test.ts',
  'packages/cluster-lead/test/ha/ops-failover.integration.test.ts',
  'packages/cluster-lead/test/lead/hierarchy-and-edge.test.ts',
  'packages/cluster-lead/test/lead/lead-e2e.test.ts',
  'packages/cluster-lead/test/lead/mesh-agent-hold.test.ts',
  'packages/cluster-lead/test/scatter/nats-scatter.integration.test.ts',
  'packages/pi-daemon/test/integration/arrival-tap.test.ts',
  'packages/pi-daemon/test/integration/coordinate.test.ts',
  'packages/pi-daemon/test/integration/daemon.test.ts',
  'packages/pi-daemon/test/integration/heartbeat.test.ts',
  'packages/pi-daemon/test/integration/hold-precision.test.ts',
  'packages/pi-daemon/test/integration/metrics.test.ts',
  'packages/pi-daemon/test/integration/nats-supervisor.test.ts',
  'packages/pi-daemon/test/integration/sim.test.ts',
  'packages/pi-daemon/test/integration/sim-links.test.ts',
  'packages/pi-daemon/test/integration/sim-session.test.ts',
  'test/e2e/mesh.e2e.test.ts',
  'test/e2e/sensors.e2e.test.ts',
  'test/faults/auth-flood.test.ts',
  'test/faults/bad-heartbeat-flood.test.ts',
  'test/faults/broker-outage-recovery.test.ts',
  'test/faults/conflict-flood.test.ts',
  'test/faults/lead-damaged-db.test.ts',
  'test/faults/lead-restart.test.ts',
  'test/harness/link-emulator.test.ts',
  'test/scripts/mesh-fleet-status.test.ts',
];

// One runner for the repository, two runtimes: Node for daemons, leads and the harness,
// workerd for the Worker and for proving that `shared` runs there unchanged. Everything but
// the timed integration files runs in parallel; those run one file at a time at the end.
export default defineConfig({
  test: {
    // Vitest's default is one worker fewer than the cores: a single worker on the 2-core CI
    // machine, which ran every file one after another while the other core idled whenever
    // that file waited on a process or a socket. At least two run at once.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // The Node projects (isolate: false) reuse a worker's module cache from file to file: with a
    // fresh fork per file, loading the harness and the packages took more time than the tests
    // (import 473 s of a 14-min run; the timed files, one at a time, waited 6-30 s each to
    // start). Tests keep no state in modules: every one builds its own leads, registries and
    // metric registries.
    projects: [
      {
        test: {
          name: 'node',
          include: ['packages/*/src/**/*.test.ts'],
          isolate: false,
          exclude: ['packages/edge-worker/**', '**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // Real processes, real nats-servers, real SQLite files, but no timing bound: these files
        // run beside the unit tests, as many at a time as the run has workers.
        test: {
          name: 'integration',
          include: INTEGRATION,
          isolate: false,
          exclude: [...INTEGRATION_EXCLUDE, ...TIMED],
          globalSetup: ['test/harness/global-bundles.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Real links with timing bounds (arrival errors in ms, spreads, rates, deadlines): one
        // file at a time, after everything else, so no other file steals their CPU and bends them.
        test: {
          name: 'integration-timed',
          include: TIMED,
          isolate: false,
          exclude: INTEGRATION_EXCLUDE,
          fileParallelism: false,
          // A later group: starts only once every other project has finished.
          sequence: { groupOrder: 1 },
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
