import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readEnrollmentFiles } from './enrollment-files.js';

describe('enrollment files', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('reads single envelopes, arrays and sim bundles from a directory, and reports bad JSON per file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mesh30k-enroll-'));
    await writeFile(join(dir, 'a-one.json'), JSON.stringify({ record: 'one' }));
    await writeFile(join(dir, 'b-array.json'), JSON.stringify([{ record: 'two' }, { record: 'three' }]));
    await writeFile(join(dir, 'c-sim.json'), JSON.stringify({ root_public_key: 'x', enrollments: [{ agent_id: 's0-0', public_key: 'k', enrollment: { record: 'four' } }] }));
    await writeFile(join(dir, 'd-bad.json'), '{ not json');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const { items, problems } = await readEnrollmentFiles(dir);
    expect(items.map((i) => i.value)).toEqual([{ record: 'one' }, { record: 'two' }, { record: 'three' }, { record: 'four' }]);
    expect(items[1]!.source).toMatch(/b-array\.json\[0\]$/);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/d-bad\.json/);
  });

  it('a path that cannot be read is a configuration error naming it', async () => {
    await expect(readEnrollmentFiles('/nonexistent/mesh30k-enrollments')).rejects.toThrow(/\/nonexistent\/mesh30k-enrollments/);
  });
});
