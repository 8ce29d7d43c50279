/**
 * How the API listens, decided once at start from the `http` config: HTTPS with the configured
 * certificate and key, or plain HTTP only when `http.allow_plain_http` says so and the bind is a
 * loopback address. Anything else refuses to start with an error naming the field.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { ConfigError } from '../config/index.js';
import type { LeadConfig } from '../config/index.js';
import { describeError } from '../lib/errors.js';

export type ApiTransport = { readonly kind: 'https'; readonly cert: Buffer; readonly key: Buffer } | { readonly kind: 'http' };

const SOURCE = 'the lead config';

/** 127.0.0.0/8, ::1 and localhost: addresses no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare.startsWith('::ffff:127.');
}

export async function resolveApiTransport(http: LeadConfig['http'], read: (file: string) => Promise<Buffer> = readFile): Promise<ApiTransport> {
  const refuse = (path: string, message: string): never => {
    throw new ConfigError([{ path, source: SOURCE, message }]);
  };
  if (http.tls === undefined) {
    if (!http.allow_plain_http) {
      refuse('http.tls', 'required: the API serves HTTPS only (cert_path and key_path; `mesh-lead init` writes a self-signed pair). Plain HTTP needs http.allow_plain_http: true and a loopback http.host');
    }
    if (!isLoopbackHost(http.host)) {
      refuse('http.allow_plain_http', `plain HTTP is allowed only on a loopback bind, and http.host is "${http.host}"; set http.tls, or http.host to 127.0.0.1`);
    }
    return { kind: 'http' };
  }
  if (http.allow_plain_http) refuse('http.allow_plain_http', 'true together with http.tls: choose one (remove allow_plain_http to serve HTTPS)');
  const load = async (file: string, field: string): Promise<Buffer> => {
    try {
      return await read(file);
    } catch (cause) {
      return refuse(field, `cannot read ${file}: ${describeError(cause)}`);
    }
  };
  const cert = await load(http.tls.cert_path, 'http.tls.cert_path');
  const key = await load(http.tls.key_path, 'http.tls.key_path');
  if (!cert.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) refuse('http.tls.cert_path', `${http.tls.cert_path} holds no PEM certificate`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) refuse('http.tls.key_path', `${http.tls.key_path} holds no PEM private key`);
  return { kind: 'https', cert, key };
}
