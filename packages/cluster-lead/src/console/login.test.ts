/**
 * `mesh login` prints a dashboard sign-in link whose token the lead's own authentication
 * accepts, with the role and lifetime asked for, without calling the lead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseApiToken } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, describe, expect, it } from 'vitest';
import { authenticate } from '../api/auth/authenticate.js';
import { NonceCache } from '../api/auth/nonce-cache.js';
import { operatorDirectory } from '../api/auth/operator-directory.js';
import { EXIT, main, type ConsoleIo } from './index.js';

const NOW = 1_800_000_000_000;
const dir = mkdtempSync(join(tmpdir(), 'mesh-login-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function mesh(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: ConsoleIo = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    // Port 9 (discard) on loopback: a command that called the lead would fail DOWN.
    env: { MESH_LEAD_URL: 'http://127.0.0.1:9', HOME: dir, ...env },
    stdoutIsTty: false,
    stderrIsTty: false,
    now: () => NOW,
    sleep: () => Promise.resolve(),
    random: () => 0.5,
  };
  return { code: await main(argv, io), out, err };
}

describe('mesh login', () => {
  it('prints a sign-in link whose token the lead accepts, for the role and lifetime asked', async () => {
    const keyFile = join(dir, 'cecilia.key');
    const keys = await generateKeyFile(keyFile);
    const run = await mesh(['login', '--operator', 'cecilia', '--key', keyFile, '--role', 'read', '--ttl', '1h', '--json']);
    expect(run.err).toBe('');
    expect(run.code).toBe(EXIT.OK);
    const answer = JSON.parse(run.out) as { url: string; sign_in_url: string; token: string; role: string; expires_at: string };
    expect(answer.url).toBe('http://127.0.0.1:9/ui/');
    expect(answer.sign_in_url).toBe(`http://127.0.0.1:9/ui/login#token=${answer.token}`);
    expect(answer.expires_at).toBe(new Date(NOW + 3_600_000).toISOString());
    const parsed = parseApiToken(answer.token);
    expect(parsed.ok && parsed.value.claims).toEqual({ sub: 'cecilia', role: 'read', iat: NOW, exp: NOW + 3_600_000 });

    const outcome = await authenticate(
      { operators: operatorDirectory([{ id: 'cecilia', publicKey: keys.publicKey, role: 'operator' }]), ed25519: nodeEd25519, nonces: new NonceCache(), now: () => NOW + 1_000 },
      { method: 'GET', pathAndQuery: '/v1/status', authorization: `Bearer ${answer.token}`, body: () => Promise.resolve(new Uint8Array()) },
    );
    expect(outcome.ok && outcome.caller).toMatchObject({ operatorId: 'cecilia', role: 'read' });

    const text = await mesh(['login', '--operator', 'cecilia', '--key', keyFile]);
    expect(text.code).toBe(EXIT.OK);
    expect(text.out).toContain('Dashboard: http://127.0.0.1:9/ui/');
    expect(text.out).toMatch(/Sign in as cecilia \(operator\) until .*\n {2}http:\/\/127\.0\.0\.1:9\/ui\/login#token=mt1\./);
  });

  it('refuses without a key, with a bad --ttl, and an unreadable key', async () => {
    expect((await mesh(['login'])).code).toBe(EXIT.AUTH);
    const keyFile = join(dir, 'other.key');
    await generateKeyFile(keyFile);
    const ttl = await mesh(['login', '--operator', 'cecilia', '--key', keyFile, '--ttl', '90d']);
    expect(ttl.code).toBe(EXIT.USAGE);
    expect(ttl.err).toContain('--ttl');
    expect((await mesh(['login', '--operator', 'cecilia', '--key', join(dir, 'missing.key')])).code).toBe(EXIT.AUTH);
  });
});
