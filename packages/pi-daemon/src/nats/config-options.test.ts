import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from './nkeys.js';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentConfigSchema } from '../config/index.js';
import { NatsConfigError, supervisorOptionsFrom } from './config-options.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh30k-nats-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const natsBlock = (nats: Record<string, unknown>) =>
  AgentConfigSchema.parse({ agent_id: 'pi-1', cluster_id: 'c', lead_id: 'lead-1', trust_roots: ['A'.repeat(42) + 'E'], nats }).nats;

describe('supervisorOptionsFrom', () => {
  it('logs in with the nkey seed, verifies the server with the CA, and asks for replies in the agent inbox', () => {
    const seedFile = join(dir, 'nats.nk');
    writeFileSync(seedFile, `${new TextDecoder().decode(nkeys.createUser().getSeed())}\n`);
    const options = supervisorOptionsFrom(natsBlock({ servers: ['tls://lead:4222'], nkey_seed_file: seedFile, tls: { ca_file: '/etc/mesh30k/ca.pem' } }), 'pi-1');
    expect(options.inboxPrefix).toBe('_INBOX.pi-1');
    expect(options.auth?.tls).toEqual({ caFile: '/etc/mesh30k/ca.pem', certFile: undefined, keyFile: undefined });
    expect(typeof options.auth?.authenticator).toBe('function');
  });

  it('names nats.nkey_seed_file when the file is missing or holds no user seed', () => {
    const attempt = (file: string): NatsConfigError => {
      try {
        supervisorOptionsFrom(natsBlock({ nkey_seed_file: file }), 'pi-1');
      } catch (error) {
        if (error instanceof NatsConfigError) return error;
        throw error;
      }
      throw new Error('expected a NatsConfigError');
    };
    expect(attempt(join(dir, 'missing.nk'))).toMatchObject({ path: 'nats.nkey_seed_file', message: expect.stringContaining('cannot read') as string });
    const account = join(dir, 'account.nk');
    writeFileSync(account, new TextDecoder().decode(nkeys.createAccount().getSeed()));
    expect(attempt(account)).toMatchObject({ path: 'nats.nkey_seed_file', message: expect.stringContaining('does not hold a NATS user nkey seed') as string });
  });
});
