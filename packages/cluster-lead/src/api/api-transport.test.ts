import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/index.js';
import { isLoopbackHost, resolveApiTransport } from './api-transport.js';

const CERT = Buffer.from('-----BEGIN CERTIFICATE-----\nMII...\n-----END CERTIFICATE-----\n');
const KEY = Buffer.from('-----BEGIN PRIVATE KEY-----\nMII...\n-----END PRIVATE KEY-----\n');
const files: Record<string, Buffer> = { '/etc/mesh/cert.pem': CERT, '/etc/mesh/key.pem': KEY };
const read = (file: string): Promise<Buffer> => (files[file] === undefined ? Promise.reject(new Error('ENOENT: no such file')) : Promise.resolve(files[file]));
const http = (over: Record<string, unknown>) => ({ host: '127.0.0.1', port: 8470, allow_plain_http: false, ...over }) as Parameters<typeof resolveApiTransport>[0];

async function refusal(promise: Promise<unknown>): Promise<{ path: string; message: string }> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error.issues[0]!;
}

describe('the API transport', () => {
  it('serves HTTPS with the configured certificate and key', async () => {
    const transport = await resolveApiTransport(http({ host: '0.0.0.0', tls: { cert_path: '/etc/mesh/cert.pem', key_path: '/etc/mesh/key.pem' } }), read);
    expect(transport).toEqual({ kind: 'https', cert: CERT, key: KEY });
  });

  it('refuses to start without TLS unless plain HTTP is allowed, naming the field', async () => {
    expect(await refusal(resolveApiTransport(http({}), read))).toMatchObject({ path: 'http.tls', message: expect.stringContaining('allow_plain_http') });
    expect(await resolveApiTransport(http({ allow_plain_http: true }), read)).toEqual({ kind: 'http' });
  });

  it('allows plain HTTP only on a loopback bind', async () => {
    expect(await refusal(resolveApiTransport(http({ host: '0.0.0.0', allow_plain_http: true }), read))).toMatchObject({ path: 'http.allow_plain_http', message: expect.stringContaining('"0.0.0.0"') });
    expect(await refusal(resolveApiTransport(http({ host: '10.0.0.5', allow_plain_http: true }), read))).toMatchObject({ path: 'http.allow_plain_http' });
    for (const host of ['127.0.0.1', '127.8.0.1', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', 'lead.example', '192.168.1.4']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('names the unreadable or wrong file', async () => {
    expect(await refusal(resolveApiTransport(http({ tls: { cert_path: '/nope.pem', key_path: '/etc/mesh/key.pem' } }), read))).toMatchObject({ path: 'http.tls.cert_path', message: expect.stringContaining('/nope.pem') });
    expect(await refusal(resolveApiTransport(http({ tls: { cert_path: '/etc/mesh/cert.pem', key_path: '/etc/mesh/cert.pem' } }), read))).toMatchObject({ path: 'http.tls.key_path', message: expect.stringContaining('no PEM private key') });
    expect(await refusal(resolveApiTransport(http({ allow_plain_http: true, tls: { cert_path: '/etc/mesh/cert.pem', key_path: '/etc/mesh/key.pem' } }), read))).toMatchObject({ path: 'http.allow_plain_http' });
  });
});
