import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from './temp.js';

describe('makeTempDir', () => {
  it('creates a prefixed directory that dispose() removes with its contents', async () => {
    const dir = await makeTempDir('harness-temp-');
    expect(basename(dir.path).startsWith('harness-temp-')).toBe(true);
    await writeFile(join(dir.path, 'file.txt'), 'data');
    expect(existsSync(dir.path)).toBe(true);

    await dir.dispose();
    expect(existsSync(dir.path)).toBe(false);
    await expect(dir.dispose()).resolves.toBeUndefined();
  });
});
