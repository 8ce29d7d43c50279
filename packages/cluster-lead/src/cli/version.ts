/**
 * The lead's version, for `mesh-lead --version`. The production bundle (scripts/build-lead.mjs)
 * replaces __MESH_LEAD_VERSION__ with the package's version; from the sources it is read from
 * packages/cluster-lead/package.json.
 */
import { readFileSync } from 'node:fs';

declare const __MESH_LEAD_VERSION__: string | undefined;

export function leadVersion(): string {
  if (typeof __MESH_LEAD_VERSION__ === 'string') return __MESH_LEAD_VERSION__;
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
