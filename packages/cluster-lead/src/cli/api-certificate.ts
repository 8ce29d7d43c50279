/**
 * The API's self-signed certificate for `mesh-lead init`. node:crypto reads X.509 but cannot
 * write it, so the `openssl` command makes it (as the harness's test CA and docs/deploy.md's
 * NATS certificates already do): no new dependency for one file written once per host. The
 * names are the configured host names (subjectAltName); clients trust the certificate itself
 * (mesh --ca) or its fingerprint (mesh --fingerprint).
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { LeadError, describeError } from '../lib/errors.js';

const run = promisify(execFile);
/** About two years: under the 825 days clients accept for a server certificate. */
export const API_CERT_DAYS = 800;

export interface ApiCertificate {
  readonly certPath: string;
  readonly keyPath: string;
  /** SHA-256 of the certificate, colon-separated hex (what `mesh --fingerprint` takes). */
  readonly fingerprint: string;
  readonly names: readonly string[];
}

/** subjectAltName entries for the names: IP: for addresses, DNS: for the rest; duplicates dropped. */
export function subjectAltName(names: readonly string[]): string {
  const unique = [...new Set(names.map((name) => name.replace(/^\[|\]$/g, '')).filter((name) => name !== '' && name !== '0.0.0.0' && name !== '::'))];
  return unique.map((name) => (isIP(name) === 0 ? `DNS:${name}` : `IP:${name}`)).join(',');
}

export async function makeApiCertificate(options: { certPath: string; keyPath: string; names: readonly string[]; openssl?: string }): Promise<ApiCertificate> {
  const san = subjectAltName(options.names);
  const commonName = san.split(',')[0]?.replace(/^(DNS|IP):/, '') ?? 'mesh-lead';
  const args = [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', options.keyPath, '-out', options.certPath, '-days', String(API_CERT_DAYS),
    '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=${san}`,
  ];
  try {
    await run(options.openssl ?? 'openssl', args);
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new LeadError(
      'USAGE',
      missing
        ? 'openssl is not installed, and init needs it to make the API certificate: install it (apt install openssl), or pass --api-cert F --api-key F, or --plain-http for a loopback-only API'
        : `openssl could not make the API certificate: ${describeError(cause)}`,
      { cause },
    );
  }
  const pem = await readFile(options.certPath);
  return { certPath: options.certPath, keyPath: options.keyPath, fingerprint: new X509Certificate(pem).fingerprint256, names: san.split(',').map((entry) => entry.replace(/^(DNS|IP):/, '')) };
}
