import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectSqliteFile, moveAsideSqliteFile } from './sqlite-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mesh-sqlite-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The first page of a SQLite file as its header describes it (fields per the file format). */
function page(options: { pageSize?: number; pages: number; current?: boolean; magic?: string }): Buffer {
  const pageSize = options.pageSize ?? 4096;
  const bytes = Buffer.alloc(pageSize);
  bytes.write(options.magic ?? 'SQLite format 3\u0000', 0, 'latin1');
  bytes.writeUInt16BE(pageSize === 65_536 ? 1 : pageSize, 16);
  bytes.writeUInt32BE(7, 24); // change counter
  bytes.writeUInt32BE(options.pages, 28);
  bytes.writeUInt32BE(options.current === false ? 6 : 7, 92); // version-valid-for
  return bytes;
}

describe('inspectSqliteFile', () => {
  it('tells a brand-new path from an empty file, a stranger, a truncated file and a whole one', async () => {
    const path = join(dir, 'x.db');
    expect(inspectSqliteFile(path)).toEqual({ kind: 'missing' });
    await writeFile(path, '');
    expect(inspectSqliteFile(path)).toEqual({ kind: 'empty' });
    await writeFile(path, 'hello');
    expect(inspectSqliteFile(path)).toMatchObject({ kind: 'not-sqlite', detail: expect.stringContaining('5 bytes') });
    await writeFile(path, Buffer.concat([page({ pages: 1, magic: 'Not SQLite at al' })]));
    expect(inspectSqliteFile(path)).toMatchObject({ kind: 'not-sqlite', detail: expect.stringContaining('header') });
    await writeFile(path, Buffer.concat([page({ pages: 3 }), Buffer.alloc(4096)]));
    expect(inspectSqliteFile(path)).toMatchObject({ kind: 'truncated', detail: expect.stringContaining('3 pages of 4096 bytes') });
    await writeFile(path, Buffer.concat([page({ pages: 3 }), Buffer.alloc(2 * 4096)]));
    expect(inspectSqliteFile(path)).toEqual({ kind: 'ok', pageSize: 4096, pages: 3 });
  });

  it('trusts the page count only when the header says it is current and no WAL holds pages', async () => {
    const path = join(dir, 'y.db');
    await writeFile(path, page({ pages: 3, current: false }));
    expect(inspectSqliteFile(path).kind).toBe('ok');
    await writeFile(path, page({ pages: 3 }));
    expect(inspectSqliteFile(path).kind).toBe('truncated');
    await writeFile(`${path}-wal`, Buffer.alloc(32));
    expect(inspectSqliteFile(path).kind).toBe('ok');
  });
});

describe('moveAsideSqliteFile', () => {
  it('renames the file and its WAL, drops the shared-memory index, and never overwrites an earlier one', async () => {
    const path = join(dir, 'lead.db');
    const at = Date.UTC(2026, 11, 7, 0, 30, 0);
    await writeFile(path, 'one');
    await writeFile(`${path}-wal`, 'wal');
    await writeFile(`${path}-shm`, 'shm');
    const first = moveAsideSqliteFile(path, at);
    expect(first).toBe(`${path}.corrupt-2026-12-07T00-30-00-000Z`);
    await writeFile(path, 'two');
    const second = moveAsideSqliteFile(path, at);
    expect(second).toBe(`${first}.1`);
    expect((await readdir(dir)).sort()).toEqual(['lead.db.corrupt-2026-12-07T00-30-00-000Z', 'lead.db.corrupt-2026-12-07T00-30-00-000Z-wal', 'lead.db.corrupt-2026-12-07T00-30-00-000Z.1']);
  });
});
