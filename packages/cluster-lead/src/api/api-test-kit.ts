/**
 * For the API's unit tests: two operators (one `operator`, one `read`), a clock the test sets,
 * and requests through app.request() signed as either. Not part of the lead.
 */
import type { KeyPair } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { Hono } from 'hono';
import type { ApiAccess } from './app.js';
import { operatorDirectory } from './auth/operator-directory.js';
import { createApiSigner } from './client-auth.js';

export const KIT_NOW = 1_800_000_000_000;

export interface ApiTestKit {
  readonly access: ApiAccess;
  readonly keys: { readonly admin: KeyPair; readonly viewer: KeyPair };
  /** The lead's clock; move it with `clock.at = ...`. */
  readonly clock: { at: number };
  /** A request through app.request(), signed as `admin` (role operator) or `viewer` (role read). */
  request(app: Hono, method: string, path: string, options?: { body?: unknown; as?: 'admin' | 'viewer'; headers?: Record<string, string> }): Promise<Response>;
}

export async function apiTestKit(access: Partial<ApiAccess> = {}): Promise<ApiTestKit> {
  const admin = await nodeEd25519.generateKeyPair();
  const viewer = await nodeEd25519.generateKeyPair();
  const clock = { at: KIT_NOW };
  const signers = {
    admin: createApiSigner({ operatorId: 'admin', privateKey: admin.privateKey, now: () => clock.at }),
    viewer: createApiSigner({ operatorId: 'viewer', privateKey: viewer.privateKey, now: () => clock.at }),
  };
  return {
    access: {
      operators: operatorDirectory([
        { id: 'admin', publicKey: admin.publicKey, role: 'operator' },
        { id: 'viewer', publicKey: viewer.publicKey, role: 'read' },
      ]),
      ed25519: nodeEd25519,
      now: () => clock.at,
      ...access,
    },
    keys: { admin, viewer },
    clock,
    async request(app, method, path, options = {}) {
      const text = options.body === undefined ? undefined : JSON.stringify(options.body);
      const headers: Record<string, string> = { ...options.headers };
      if (text !== undefined) headers['content-type'] = 'application/json';
      headers.authorization = await signers[options.as ?? 'admin'].authorization(method, path, text);
      return app.request(path, { method, headers, ...(text === undefined ? {} : { body: text }) });
    },
  };
}
