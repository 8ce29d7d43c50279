import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LeadError, describeError } from '../lib/errors.js';

const ENROLLMENT_FILE = /\.json$/;

/**
 * Reads signed enrollments from a file or from every *.json file of a directory. A file holds
 * one envelope, an array of them, or a bundle `{ enrollments: [{ enrollment, ... }] }` as
 * `mesh-agent sim --enrollments-out` writes it (so a sim's file can be dropped in as it is). Returns raw values: each is verified by the caller. A path
 * that cannot be read is a configuration error; a file with bad JSON is reported per file.
 */
export async function readEnrollmentFiles(path: string): Promise<{ items: { source: string; value: unknown }[]; problems: string[] }> {
  let files: string[];
  try {
    const info = await stat(path);
    files = info.isDirectory()
      ? (await readdir(path)).filter((name) => ENROLLMENT_FILE.test(name)).sort().map((name) => join(path, name))
      : [path];
  } catch (cause) {
    throw new LeadError('ENROLLMENTS_UNREADABLE', `enrollments ${path}: ${describeError(cause)}`, { cause });
  }
  const items: { source: string; value: unknown }[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      const list = envelopesOf(JSON.parse(await readFile(file, 'utf8')) as unknown);
      list.forEach((value, index) => items.push({ source: list.length > 1 ? `${file}[${index}]` : file, value }));
    } catch (cause) {
      problems.push(`${file}: ${describeError(cause)}`);
    }
  }
  return { items, problems };
}

function envelopesOf(parsed: unknown): unknown[] {
  if (Array.isArray(parsed)) return parsed as unknown[];
  const bundle = (parsed as { enrollments?: unknown } | null)?.enrollments;
  if (Array.isArray(bundle)) return bundle.map((entry: unknown) => (entry as { enrollment?: unknown } | null)?.enrollment ?? entry);
  return [parsed];
}
