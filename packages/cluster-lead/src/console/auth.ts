/** The Authorization header for each request: a Mesh-Ed25519 signature, or a bearer token. */
import { randomBytes } from 'node:crypto';
import { signApiRequest } from '@mesh30k/shared';
import { loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import { ConsoleError } from './exit-codes.js';
import type { SignInput } from './http-client.js';

const NONCE_BYTES = 16;

export type Credentials =
  | { kind: 'key'; keyFile: string; operatorId: string }
  | { kind: 'token'; token: string }
  | { kind: 'none' };

export type Authorize = (input: SignInput) => Promise<string | undefined>;

/** Loads the key once; each call signs one attempt with a fresh nonce and timestamp. */
export async function authorizer(credentials: Credentials, now: () => number = Date.now): Promise<Authorize> {
  switch (credentials.kind) {
    case 'none':
      return () => Promise.resolve(undefined);
    case 'token': {
      const header = `Bearer ${credentials.token}`;
      return () => Promise.resolve(header);
    }
    case 'key': {
      let signer;
      try {
        signer = await nodeEd25519.signer((await loadKeyPair(credentials.keyFile)).privateKey);
      } catch (error) {
        throw new ConsoleError('AUTH', error instanceof Error ? error.message : String(error), { cause: error });
      }
      return (input) =>
        signApiRequest(signer, credentials.operatorId, {
          method: input.method,
          pathAndQuery: input.pathAndQuery,
          timestamp: now(),
          nonce: randomBytes(NONCE_BYTES).toString('base64url'),
          body: input.body,
        });
    }
  }
}
