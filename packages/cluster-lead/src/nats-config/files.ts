/**
 * The NATS files of a lead host, in one directory (`<init dir>/nats`): fleet.json (the
 * description), nats-server.conf (the hub), leaf-<site>.conf (one per Pi site) and
 * users/<id>.nk (nkey seeds made here, to hand to their owners). Every write goes to a
 * temporary file first and is renamed into place, so nats-server never reads half a config.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { nkeys } from './nkeys.js';
import { LeadError, describeError } from '../lib/errors.js';
import { FleetSchema, type Fleet, type FleetInput } from './fleet.js';
import { renderHubConfig, renderLeafConfig } from './render.js';

export const FLEET_FILE = 'fleet.json';
export const HUB_CONFIG_FILE = 'nats-server.conf';
export const USERS_DIR = 'users';
export const leafConfigFile = (siteId: string): string => `leaf-${siteId}.conf`;
export const seedFile = (id: string): string => join(USERS_DIR, `${id}.nk`);

/** Validates a fleet description; every problem names its field. */
export function parseFleet(raw: unknown, source: string): Fleet {
  const parsed = FleetSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new LeadError('CONFIG_INVALID', lines.join('\n'), { cause: parsed.error });
}

/** The fleet in `dir`, or an empty one when the directory has none yet. */
export async function readFleet(dir: string): Promise<Fleet> {
  const path = join(dir, FLEET_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return parseFleet({}, path);
    throw new LeadError('CONFIG_UNREADABLE', `${path}: ${describeError(cause)}`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new LeadError('CONFIG_INVALID', `${path}: not valid JSON: ${describeError(cause)}`, { cause });
  }
  return parseFleet(raw, path);
}

/** Writes fleet.json and every config generated from it; returns the files written. */
export async function writeNatsFiles(dir: string, input: Fleet | FleetInput): Promise<string[]> {
  const fleet = parseFleet(input, join(dir, FLEET_FILE));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files: [string, string][] = [
    [FLEET_FILE, `${JSON.stringify(fleet, null, 2)}\n`],
    [HUB_CONFIG_FILE, renderHubConfig(fleet)],
    ...fleet.sites.map((site): [string, string] => [leafConfigFile(site.id), renderLeafConfig(fleet, site.id)]),
  ];
  const written: string[] = [];
  for (const [name, text] of files) {
    const path = join(dir, name);
    // The sites' passwords are in these files: no world access. The nats user reads them
    // through the directory's group (setgid, group nats: docs/deploy.md).
    await writeFile(`${path}.tmp`, text, { mode: 0o640 });
    await rename(`${path}.tmp`, path);
    written.push(path);
  }
  return written;
}

export interface NkeyIdentity {
  /** U..., goes into the fleet. */
  publicKey: string;
  /** SU..., the secret its owner connects with. */
  seed: string;
}

export function createNkeyIdentity(): NkeyIdentity {
  const pair = nkeys.createUser();
  return { publicKey: pair.getPublicKey(), seed: new TextDecoder().decode(pair.getSeed()) };
}

/** Writes a seed file (mode 0600), never over an existing one. */
export async function writeSeedFile(path: string, seed: string): Promise<void> {
  let handle;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    handle = await open(path, 'wx', 0o600);
  } catch (cause) {
    throw new LeadError('USAGE', `cannot write ${path}: ${describeError(cause)}`, { cause });
  }
  try {
    await handle.writeFile(`${seed}\n`);
  } finally {
    await handle.close();
  }
}

/** A random leaf-node password (base64url, 32 bytes). */
export function newSitePassword(): string {
  return randomBytes(32).toString('base64url');
}
