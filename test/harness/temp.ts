// Temporary directories that disappear either when disposed or when the process exits.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessExit } from './exit-cleanup.js';

const DEFAULT_PREFIX = 'mesh30k-';

export interface TempDir {
  readonly path: string;
  /** Removes the directory and everything in it; safe to call more than once. */
  dispose(): Promise<void>;
}

export async function makeTempDir(prefix: string = DEFAULT_PREFIX): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  const unregister = onProcessExit(() => rmSync(path, { recursive: true, force: true }));
  let disposal: Promise<void> | undefined;
  return {
    path,
    dispose() {
      disposal ??= (async () => {
        unregister();
        await rm(path, { recursive: true, force: true });
      })();
      return disposal;
    },
  };
}
