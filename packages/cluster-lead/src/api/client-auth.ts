/**
 * The client side of the API's authentication, for the `mesh` console, the test harness and
 * scripts: signs a request with an operator's private key and returns the Authorization value.
 */
import { randomBytes } from 'node:crypto';
import { signApiRequest, type PrivateKeyBytes, type Signer } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';

export interface ApiSignerOptions {
  readonly operatorId: string;
  readonly privateKey: PrivateKeyBytes;
  /** The client's clock; the lead refuses timestamps more than a minute off its own. */
  readonly now?: () => number;
}

export interface ApiSigner {
  readonly operatorId: string;
  /** The Authorization header for this exact request; `body` as the bytes (or text) sent. */
  authorization(method: string, pathAndQuery: string, body?: Uint8Array | string): Promise<string>;
}

const encoder = new TextEncoder();

/**
 * The path and query as fetch() will send them (WHATWG URL rules: a space becomes %20 and so
 * on): the lead checks the signature over the target it received, not the text a caller typed.
 */
export function onTheWire(pathAndQuery: string): string {
  const url = new URL(pathAndQuery, 'http://lead.invalid');
  return `${url.pathname}${url.search}`;
}

export function createApiSigner(options: ApiSignerOptions): ApiSigner {
  const signer: Signer = nodeEd25519.signerSync(options.privateKey);
  const now = options.now ?? Date.now;
  return {
    operatorId: options.operatorId,
    authorization: (method, pathAndQuery, body) =>
      signApiRequest(signer, options.operatorId, {
        method,
        pathAndQuery: onTheWire(pathAndQuery),
        // Whole milliseconds: the header carries an integer (a test clock may have fractions).
        timestamp: Math.floor(now()),
        // A fresh nonce per request: the lead refuses one it has seen.
        nonce: randomBytes(16).toString('base64url'),
        body: body === undefined ? new Uint8Array() : typeof body === 'string' ? encoder.encode(body) : body,
      }),
  };
}
