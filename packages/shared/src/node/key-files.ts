/**
 * Key files on disk: one Ed25519 key pair per agent and per lead.
 *
 * A key pair file is UTF-8 JSON with exactly these members:
 *
 *   { "kty": "ed25519", "private_key": "<base64url, 32-byte seed>", "public_key": "<base64url, 32 bytes>" }
 *
 * base64url is unpadded (RFC 4648 section 5); the private key is the RFC 8032 seed. A public
 * key file has the same shape without "private_key". Private key files are created with mode
 * 0600 and refused on load when group or others have any access to them, as ssh does.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { MeshError } from '../lib/errors.js';
import {
  PRIVATE_KEY_LENGTH,
  PUBLIC_KEY_LENGTH,
  assertKeyLength,
  bytesEqual,
  fromBase64Url,
  toBase64Url,
} from '../signing/encoding.js';
import type { Ed25519, KeyPair, PublicKeyBytes } from '../signing/types.js';
import { nodeEd25519 } from './node-ed25519.js';

export const KEY_FILE_KTY = 'ed25519';
export const PRIVATE_KEY_FILE_MODE = 0o600;
export const PUBLIC_KEY_FILE_MODE = 0o644;
/** Permission bits for group and others; any of them set makes a private key file unsafe. */
const GROUP_OTHER_BITS = 0o077;
/** A key file is about 150 bytes; anything far larger is the wrong file. */
const MAX_KEY_FILE_BYTES = 4096;
const TEMP_SUFFIX_BYTES = 6;

export interface SaveKeyOptions {
  /** Replace an existing file. Off by default: overwriting an identity key loses it. */
  overwrite?: boolean;
}

export interface KeyFileOptions extends SaveKeyOptions {
  /** The implementation used to derive and check public keys; node:crypto by default. */
  ed25519?: Ed25519;
}

const keyBytes = (length: number) =>
  z.string().transform((text, ctx) => {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64Url(text);
    } catch {
      ctx.addIssue('is not unpadded base64url');
      return z.NEVER;
    }
    if (bytes.length !== length) {
      ctx.addIssue(`must decode to ${length} bytes, got ${bytes.length}`);
      return z.NEVER;
    }
    return bytes;
  });

const KeyPairFile = z.strictObject({
  kty: z.literal(KEY_FILE_KTY),
  private_key: keyBytes(PRIVATE_KEY_LENGTH),
  public_key: keyBytes(PUBLIC_KEY_LENGTH),
});

const PublicKeyFile = z.strictObject({
  kty: z.literal(KEY_FILE_KTY),
  public_key: keyBytes(PUBLIC_KEY_LENGTH),
});

/** Generates a key pair, saves it to `path` (mode 0600) and returns it. */
export async function generateKeyFile(path: string, options: KeyFileOptions = {}): Promise<KeyPair> {
  const keyPair = await (options.ed25519 ?? nodeEd25519).generateKeyPair();
  await saveKeyPair(path, keyPair, options);
  return keyPair;
}

/**
 * Writes a key pair file with mode 0600. The file appears complete or not at all: it is
 * written and synced under a temporary name created with that mode, then moved into place.
 */
export async function saveKeyPair(path: string, keyPair: KeyPair, options: KeyFileOptions = {}): Promise<void> {
  assertKeyLength(keyPair.privateKey, PRIVATE_KEY_LENGTH, 'Ed25519 private key');
  assertKeyLength(keyPair.publicKey, PUBLIC_KEY_LENGTH, 'Ed25519 public key');
  const derived = await (options.ed25519 ?? nodeEd25519).publicKeyFromPrivate(keyPair.privateKey);
  if (!bytesEqual(derived, keyPair.publicKey)) {
    throw new MeshError('BAD_KEY', `refusing to save ${path}: the public key does not belong to the private key`);
  }
  const content = {
    kty: KEY_FILE_KTY,
    private_key: toBase64Url(keyPair.privateKey),
    public_key: toBase64Url(keyPair.publicKey),
  };
  await writeFileAtomic(path, `${JSON.stringify(content, null, 2)}\n`, PRIVATE_KEY_FILE_MODE, options);
}

/** Writes a public key file (mode 0644), atomically like `saveKeyPair`. */
export async function savePublicKey(path: string, publicKey: PublicKeyBytes, options: SaveKeyOptions = {}): Promise<void> {
  assertKeyLength(publicKey, PUBLIC_KEY_LENGTH, 'Ed25519 public key');
  const content = { kty: KEY_FILE_KTY, public_key: toBase64Url(publicKey) };
  await writeFileAtomic(path, `${JSON.stringify(content, null, 2)}\n`, PUBLIC_KEY_FILE_MODE, options);
}

/**
 * Reads and checks a key pair file. Throws MeshError BAD_KEY, naming the file, when it cannot
 * be read, is open to group or others, is not a valid key file, or holds a public key that
 * does not belong to its private key.
 */
export async function loadKeyPair(path: string, options: Pick<KeyFileOptions, 'ed25519'> = {}): Promise<KeyPair> {
  const parsed = parseKeyFile(path, await readKeyFile(path, { private: true }), KeyPairFile);
  const derived = await (options.ed25519 ?? nodeEd25519).publicKeyFromPrivate(parsed.private_key);
  if (!bytesEqual(derived, parsed.public_key)) {
    throw new MeshError('BAD_KEY', `key file ${path}: public_key does not belong to private_key`, { path: 'public_key' });
  }
  return { privateKey: parsed.private_key, publicKey: parsed.public_key };
}

/** Reads a public key file. Throws MeshError BAD_KEY, naming the file, on any problem. */
export async function loadPublicKey(path: string): Promise<PublicKeyBytes> {
  return parseKeyFile(path, await readKeyFile(path, { private: false }), PublicKeyFile).public_key;
}

async function readKeyFile(path: string, expect: { private: boolean }): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new MeshError('BAD_KEY', `cannot open key file ${path}: ${describe(error)}`, { cause: error });
  }
  try {
    // Checked on the open handle, so the file judged is the file read.
    const info = await handle.stat();
    if (!info.isFile()) throw new MeshError('BAD_KEY', `key file ${path} is not a regular file`);
    const exposed = info.mode & GROUP_OTHER_BITS;
    // Windows has no POSIX modes to check; its ACLs are the operator's business.
    if (expect.private && exposed !== 0 && process.platform !== 'win32') {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new MeshError(
        'BAD_KEY',
        `private key file ${path} has mode ${mode}, so group or others can access it; fix it with: chmod 600 ${path}`,
      );
    }
    if (info.size > MAX_KEY_FILE_BYTES) {
      throw new MeshError('BAD_KEY', `key file ${path} is ${info.size} bytes, too large to be a key file`);
    }
    return await handle.readFile('utf8');
  } catch (error) {
    if (error instanceof MeshError) throw error;
    throw new MeshError('BAD_KEY', `cannot read key file ${path}: ${describe(error)}`, { cause: error });
  } finally {
    await handle.close();
  }
}

function parseKeyFile<T>(path: string, text: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MeshError('BAD_KEY', `key file ${path} is not valid JSON: ${describe(error)}`, { cause: error });
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  const where = field === '' ? '' : `${field}: `;
  throw new MeshError('BAD_KEY', `key file ${path}: ${where}${issue?.message ?? 'invalid'}`, {
    path: field === '' ? undefined : field,
    cause: result.error,
  });
}

async function writeFileAtomic(path: string, text: string, mode: number, options: SaveKeyOptions): Promise<void> {
  // Same directory, so the final rename or link stays on one file system and is atomic.
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(TEMP_SUFFIX_BYTES).toString('hex')}.tmp`);
  // 'wx' creates a new file with `mode` from the first byte; it is never briefly world-readable.
  const handle = await open(temp, 'wx', mode);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      // On disk before it gets its real name, so a power cut leaves the old file or the new one.
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.overwrite === true) {
      await rename(temp, path);
    } else {
      // link() fails if `path` exists, which makes "create only if absent" atomic.
      await link(temp, path).catch((error: unknown) => {
        if (isErrnoCode(error, 'EEXIST')) {
          throw new MeshError('INVALID_ARGUMENT', `refusing to overwrite ${path}: it already exists`, { cause: error });
        }
        throw error;
      });
    }
  } finally {
    // After a rename the temporary name is gone already; force makes that a no-op.
    await rm(temp, { force: true });
  }
}

function isErrnoCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
