/**
 * The console's way to the lead over HTTPS when the lead's certificate is its own (mesh-lead
 * init makes a self-signed one): trusted through a CA or certificate file (--ca), or pinned by
 * its SHA-256 fingerprint (--fingerprint). With a pin, the handshake is checked before any byte
 * of the request (and its signature) is written. Plain `fetch` serves everything else.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { ConsoleError } from './exit-codes.js';

export interface LeadTrust {
  /** PEM file of the CA (or the self-signed certificate itself) the lead's certificate must chain to. */
  readonly caFile?: string | undefined;
  /** SHA-256 fingerprint of the lead's certificate, hex with or without colons. */
  readonly fingerprint?: string | undefined;
}

export type FetchLike = (url: URL | string, init: RequestInit) => Promise<Response>;

/** AB:CD:... or abcd...: upper-case hex without separators, or undefined when it is not 32 bytes. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.replace(/^sha256[:=]/i, '').replace(/:/g, '').toUpperCase();
  return /^[0-9A-F]{64}$/.test(hex) ? hex : undefined;
}

export function leadFetch(trust: LeadTrust): FetchLike {
  if (trust.caFile === undefined && trust.fingerprint === undefined) return (url, init) => fetch(url, init);
  let ca: Buffer | undefined;
  if (trust.caFile !== undefined) {
    try {
      ca = readFileSync(trust.caFile);
    } catch (cause) {
      throw new ConsoleError('USAGE', `--ca: cannot read ${trust.caFile}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }
  const pin = trust.fingerprint === undefined ? undefined : normalizeFingerprint(trust.fingerprint);
  if (trust.fingerprint !== undefined && pin === undefined) throw new ConsoleError('USAGE', '--fingerprint: must be a SHA-256 fingerprint, 64 hex digits (colons allowed), as `mesh-lead init` prints it');
  return async (target, init) => {
    const url = new URL(target);
    if (url.protocol !== 'https:') return fetch(url, init);
    const socket = pin === undefined ? undefined : await pinnedSocket(url, pin, init.signal ?? undefined);
    return send(url, init, { ...(ca === undefined ? {} : { ca }), ...(socket === undefined ? {} : { socket }) });
  };
}

/** A TLS connection whose certificate has the pinned fingerprint; the chain is not consulted. */
function pinnedSocket(url: URL, pin: string, signal: AbortSignal | undefined): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = connect({ host, port: Number(url.port || 443), rejectUnauthorized: false, ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }), ...(signal === undefined ? {} : { signal }) });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      const seen = socket.getPeerCertificate().fingerprint256?.replace(/:/g, '').toUpperCase();
      if (seen === pin) return resolve(socket);
      socket.destroy();
      reject(new Error(`the lead's certificate has fingerprint ${seen ?? '(none)'}, not the pinned one`));
    });
  });
}

function send(url: URL, init: RequestInit, tls: { ca?: Buffer; socket?: TLSSocket }): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = init.body as Uint8Array | string | undefined;
    const socket = tls.socket;
    const req = httpsRequest(
      url,
      {
        method: init.method ?? 'GET',
        headers,
        ...(tls.ca === undefined ? {} : { ca: tls.ca }),
        ...(socket === undefined ? {} : { createConnection: () => socket }),
        ...(init.signal === undefined || init.signal === null ? {} : { signal: init.signal }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => {
          const answer = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) answer.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          const status = res.statusCode ?? 502;
          const nullBody = status === 204 || status === 304 || init.method === 'HEAD';
          resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: answer }));
        });
      },
    );
    req.once('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
    req.end(body);
  });
}
