// Vitest globalSetup of the integration project: builds the lead's and the agent's bundles once
// from the current sources, and points the bin/ launchers at them (MESH_BUNDLE_DIR, inherited by
// every process a test spawns). Each lead, agent and sim then starts from one JavaScript file
// instead of transforming a few hundred TypeScript modules through tsx at every spawn.
// MESH_TEST_BUNDLES=0 runs them from the sources through tsx instead, as watch mode always
// does: it reruns tests after an edit without running this again, so a bundle would go stale.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildBundles } from '../../scripts/build-bundles.mjs';

const PACKAGES = ['cluster-lead', 'pi-daemon'] as const;
const PREFIX = '.test-bundle-';
const PACKAGES_DIR = join(import.meta.dirname, '..', '..', 'packages');

/** Whether `pid` still runs (ESRCH: it does not); local-mesh.ts's isAlive, without loading the mesh harness. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Bundles left behind by runs that were killed before their teardown. */
function removeOrphans(): void {
  for (const pkg of PACKAGES) {
    for (const entry of readdirSync(join(PACKAGES_DIR, pkg))) {
      const pid = Number(entry.slice(PREFIX.length));
      if (entry.startsWith(PREFIX) && Number.isInteger(pid) && !running(pid)) rmSync(join(PACKAGES_DIR, pkg, entry), { recursive: true, force: true });
    }
  }
}

/** Both integration projects name this setup; the first one builds, the other shares its bundles. */
const SHARED = Symbol.for('mesh30k.test-bundles');
type Shared = { [SHARED]?: Promise<string[]> };

async function build(): Promise<string[]> {
  removeOrphans();
  const name = `${PREFIX}${process.pid}`;
  const dirs = await Promise.all(PACKAGES.map((pkg) => buildBundles(pkg, name)));
  process.env.MESH_BUNDLE_DIR = name;
  return dirs;
}

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  if (project.vitest.config.watch || process.env.MESH_TEST_BUNDLES === '0') return undefined;
  const shared = globalThis as Shared;
  const dirs = await (shared[SHARED] ??= build());
  // Removing them twice is harmless; whichever teardown runs first, the run is over by then.
  return () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
}
