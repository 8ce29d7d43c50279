// Where one `npm run bench` puts its results: bench-results/<YYYY-MM-DD>T<HHMMSS>/, made with
// an exclusive mkdir so a second run in the same second gets its own folder, never this one.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The folder name of a run started at `date` (UTC), e.g. 2026-12-06T143005. */
export function runFolderName(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)}T${iso.slice(11, 19).replaceAll(':', '')}`;
}

/** Creates and returns a new run folder under `root`; adds -2, -3... if the name is taken. */
export function createRunDir(root: string, date: Date): string {
  mkdirSync(root, { recursive: true });
  const base = runFolderName(date);
  for (let n = 1; ; n++) {
    const dir = join(root, n === 1 ? base : `${base}-${n}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
