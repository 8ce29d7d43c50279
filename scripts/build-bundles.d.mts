/** Builds a package's runtime bundles into `packages/<name>/<outName>` (default dist); resolves to that directory. */
export function buildBundles(name: 'cluster-lead' | 'pi-daemon', outName?: string): Promise<string>;
