// Leads and sims of a benchmark start from bundles built once from the current sources (not
// through tsx, which transforms a few hundred modules in every process it starts: tens of
// seconds on a busy machine). MESH_BUNDLE_DIR, inherited by every child, points the bin/
// launchers at them; they are removed when `run` ends.
import { rmSync } from 'node:fs';
import { buildBundles } from '../../../scripts/build-bundles.mjs';

export async function withFreshBundles<T>(run: () => Promise<T>): Promise<T> {
  const name = `.bench-bundle-${process.pid}`;
  const dirs = await Promise.all((['cluster-lead', 'pi-daemon'] as const).map((pkg) => buildBundles(pkg, name)));
  process.env.MESH_BUNDLE_DIR = name;
  try {
    return await run();
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}
