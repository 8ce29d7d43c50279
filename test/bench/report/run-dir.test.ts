import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunDir, runFolderName } from './run-dir.js';

describe('run folder', () => {
  const roots: string[] = [];
  afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

  it('is named by the UTC date and time of the run', () => {
    expect(runFolderName(new Date('2026-12-06T14:03:05.123Z'))).toBe('2026-12-06T140305');
  });

  it('never reuses a folder: a second run in the same second gets its own', () => {
    const root = mkdtempSync(join(tmpdir(), 'run-dir-'));
    roots.push(root);
    const at = new Date('2026-12-06T14:03:05Z');
    const first = createRunDir(join(root, 'bench-results'), at);
    const second = createRunDir(join(root, 'bench-results'), at);
    expect(first).not.toBe(second);
    expect(readdirSync(join(root, 'bench-results')).sort()).toEqual(['2026-12-06T140305', '2026-12-06T140305-2']);
  });
});
