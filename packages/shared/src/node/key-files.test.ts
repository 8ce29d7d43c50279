import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MeshError } from '../lib/errors.js';
import { fromHex, toBase64Url } from '../signing/encoding.js';
import { RFC8032_VECTORS } from '../signing/rfc8032-vectors.js';
import { generateKeyFile, loadKeyPair, loadPublicKey, saveKeyPair, savePublicKey } from './key-files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mesh-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const umask = process.umask();
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
const vector = RFC8032_VECTORS[0]!;
const knownPair = { privateKey: fromHex(vector.secretKey), publicKey: fromHex(vector.publicKey) };

/** The MeshError a failing call rejects with (fails the test if it resolves or rejects otherwise). */
async function failure(call: Promise<unknown>): Promise<MeshError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MeshError);
  return error as MeshError;
}

/** Writes a key file by hand, as an operator or a bug might. */
async function writeRaw(name: string, content: unknown, mode = 0o600): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content), { mode });
  await chmod(path, mode);
  return path;
}

describe('key pair files', () => {
  it('saves a generated key pair with mode 0600 and loads it back', async () => {
    const path = join(dir, 'agent.key');
    const generated = await generateKeyFile(path);
    expect(await modeOf(path)).toBe(0o600 & ~umask);
    expect(await loadKeyPair(path)).toEqual(generated);
  });

  it('writes the documented JSON format', async () => {
    const path = join(dir, 'agent.key');
    await saveKeyPair(path, knownPair);
    const text = await readFile(path, 'utf8');
    expect(JSON.parse(text)).toEqual({
      kty: 'ed25519',
      private_key: toBase64Url(knownPair.privateKey),
      public_key: toBase64Url(knownPair.publicKey),
    });
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['kty', 'private_key', 'public_key']);
    expect(text.endsWith('\n')).toBe(true);
  });

  it.each([
    ['0644', 0o644],
    ['0640', 0o640],
    ['0604', 0o604],
    ['0620', 0o620],
  ])('refuses a private key file with mode %s, saying how to fix it', async (_, mode) => {
    const path = join(dir, 'agent.key');
    await saveKeyPair(path, knownPair);
    await chmod(path, mode);
    const error = await failure(loadKeyPair(path));
    expect(error.code).toBe('BAD_KEY');
    expect(error.message).toContain(`chmod 600 ${path}`);
    await chmod(path, 0o600);
    expect(await loadKeyPair(path)).toEqual(knownPair);
  });

  it('refuses to overwrite an existing key file unless asked, leaving no temporary file', async () => {
    const path = join(dir, 'agent.key');
    await saveKeyPair(path, knownPair);
    const other = await generateKeyFile(join(dir, 'other.key'));
    await expect(saveKeyPair(path, other)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await loadKeyPair(path)).toEqual(knownPair);
    await saveKeyPair(path, other, { overwrite: true });
    expect(await loadKeyPair(path)).toEqual(other);
    expect(await modeOf(path)).toBe(0o600 & ~umask);
    expect((await readdir(dir)).sort()).toEqual(['agent.key', 'other.key']);
  });

  it('refuses to save a public key that does not belong to the private key', async () => {
    const mismatched = { privateKey: knownPair.privateKey, publicKey: fromHex(RFC8032_VECTORS[1]!.publicKey) };
    await expect(saveKeyPair(join(dir, 'agent.key'), mismatched)).rejects.toMatchObject({ code: 'BAD_KEY' });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('loading a bad key pair file', () => {
  const valid = {
    kty: 'ed25519',
    private_key: toBase64Url(knownPair.privateKey),
    public_key: toBase64Url(knownPair.publicKey),
  };

  it('names the file when it does not exist', async () => {
    const path = join(dir, 'missing.key');
    const error = await failure(loadKeyPair(path));
    expect(error.code).toBe('BAD_KEY');
    expect(error.message).toContain(path);
  });

  it('names the file when it is not JSON', async () => {
    const path = await writeRaw('corrupt.key', '{"kty": "ed25519", "private_k');
    const error = await failure(loadKeyPair(path));
    expect(error.code).toBe('BAD_KEY');
    expect(error.message.startsWith(`key file ${path} is not valid JSON`)).toBe(true);
  });

  it.each([
    ['kty', { ...valid, kty: 'rsa' }],
    ['private_key', { ...valid, private_key: toBase64Url(new Uint8Array(31)) }],
    ['private_key', { ...valid, private_key: 'not base64url!' }],
    ['public_key', { kty: valid.kty, private_key: valid.private_key }],
    ['public_key', { ...valid, public_key: toBase64Url(fromHex(RFC8032_VECTORS[1]!.publicKey)) }],
  ])('names the file and the field %s', async (field, content) => {
    const path = await writeRaw('bad.key', content);
    const error = await failure(loadKeyPair(path));
    expect(error).toMatchObject({ code: 'BAD_KEY', path: field });
    expect(error.message).toContain(`key file ${path}: ${field}`);
  });

  it('refuses unknown members', async () => {
    const path = await writeRaw('extra.key', { ...valid, comment: 'hello' });
    const error = await failure(loadKeyPair(path));
    expect(error.code).toBe('BAD_KEY');
    expect(error.message).toContain('comment');
  });

  it('refuses a file far too large to be a key file', async () => {
    const path = await writeRaw('huge.key', ' '.repeat(10_000));
    const error = await failure(loadKeyPair(path));
    expect(error.code).toBe('BAD_KEY');
    expect(error.message).toContain('too large');
  });

  it('refuses a directory', async () => {
    const error = await failure(loadKeyPair(dir));
    expect(error.code).toBe('BAD_KEY');
    expect(error.message).toContain(`${dir} is not a regular file`);
  });
});

describe('public key files', () => {
  it('saves with mode 0644 and loads back', async () => {
    const path = join(dir, 'agent.pub');
    await savePublicKey(path, knownPair.publicKey);
    expect(await modeOf(path)).toBe(0o644 & ~umask);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ kty: 'ed25519', public_key: toBase64Url(knownPair.publicKey) });
    expect(await loadPublicKey(path)).toEqual(knownPair.publicKey);
  });

  it('loads regardless of mode, since a public key is not secret', async () => {
    const path = join(dir, 'agent.pub');
    await savePublicKey(path, knownPair.publicKey);
    await chmod(path, 0o644);
    expect(await loadPublicKey(path)).toEqual(knownPair.publicKey);
  });

  it('refuses a key pair file given as a public key file', async () => {
    const path = join(dir, 'agent.key');
    await saveKeyPair(path, knownPair);
    const error = await failure(loadPublicKey(path));
    expect(error.code).toBe('BAD_KEY');
    expect(error.message).toContain('private_key');
  });

  it('refuses a public key of the wrong length with BAD_KEY', async () => {
    await expect(savePublicKey(join(dir, 'short.pub'), new Uint8Array(31))).rejects.toMatchObject({ code: 'BAD_KEY' });
  });
});
