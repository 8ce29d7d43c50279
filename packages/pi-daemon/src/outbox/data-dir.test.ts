import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { DataDirError, asDataDirError, ensureWritableDir } from './data-dir.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-data-dir-');
});
afterEach(async () => {
  await dir.dispose();
});

describe('ensureWritableDir', () => {
  it('creates a missing data_dir and accepts one it can write', () => {
    const dataDir = join(dir.path, 'a', 'b');
    ensureWritableDir(dataDir);
    expect(existsSync(dataDir)).toBe(true);
    ensureWritableDir(dataDir);
  });

  it('passes on what is not a permission problem (a file where the directory should be)', () => {
    const file = join(dir.path, 'file');
    writeFileSync(file, '');
    expect(() => ensureWritableDir(join(file, 'data'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });
});

describe('asDataDirError', () => {
  it('turns a permission failure into one line naming the directory and the permission needed', () => {
    for (const code of ['EACCES', 'EPERM', 'SQLITE_CANTOPEN', 'SQLITE_READONLY']) {
      const error = asDataDirError(Object.assign(new Error('denied'), { code }), '/var/lib/mesh30k');
      expect(error, code).toBeInstanceOf(DataDirError);
      expect(error?.message, code).toMatch(/^data_dir \/var\/lib\/mesh30k: not writable by .+; the agent needs read, write and search permission \(rwx\) on it/);
      expect(error?.message.split('\n')).toHaveLength(1);
    }
    expect(asDataDirError(Object.assign(new Error('ro'), { code: 'EROFS' }), '/d')?.message).toContain('read-only');
    expect(asDataDirError(Object.assign(new Error('full'), { code: 'ENOSPC' }), '/d')).toBeUndefined();
    expect(asDataDirError('not an error', '/d')).toBeUndefined();
  });
});
