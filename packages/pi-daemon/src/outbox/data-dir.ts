/**
 * The data directory must be the agent's to write: its database and WAL live there. A
 * directory the service user cannot write is an operator's fix (ownership or mode), not a bug,
 * and no restart can fix it: the daemon says which directory and what it needs in one line
 * and exits EX_NOPERM, which the unit lists in RestartPreventExitStatus.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';

const DATA_DIR_MODE = 0o700;
const PERMISSION_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY']);

export class DataDirError extends Error {
  override readonly name = 'DataDirError';
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Creates `dir` if needed and checks that this process may list, read and write it. */
export function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw asDataDirError(error, dir) ?? error;
  }
}

/** The DataDirError for a permission failure on `dir` (or a file in it); undefined for anything else. */
export function asDataDirError(error: unknown, dir: string): DataDirError | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !PERMISSION_CODES.has(code)) return undefined;
  const readOnly = code === 'EROFS' ? ' (the file system is read-only)' : '';
  return new DataDirError(
    dir,
    `data_dir ${dir}: not writable by ${whoAmI()}${readOnly}; the agent needs read, write and search permission (rwx) on it and on the files in it, e.g. chown ${userName() ?? '<service user>'} ${dir} && chmod 700 ${dir}`,
    { cause: error },
  );
}

function whoAmI(): string {
  const name = userName();
  const uid = process.getuid?.();
  return name === undefined ? `uid ${uid ?? '?'}` : `user ${name} (uid ${uid ?? '?'})`;
}

function userName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined; // a uid with no passwd entry (DynamicUser, containers)
  }
}
