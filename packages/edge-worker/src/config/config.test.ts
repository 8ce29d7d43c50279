import { describe, expect, it } from 'vitest';
import { EdgeError } from '../http/errors.js';
import { DEFAULT_MAX_BODY_BYTES, parseConfig } from './config.js';

// A valid Ed25519 public key (RFC 8032 test 1) and a 32-byte seed, both test-only.
const LEAD_KEY = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
const SEED = 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A';

const valid = {
  AGENT_ID: 'edge-1',
  CLUSTER_ID: 'cluster-1',
  CAPABILITIES: 'route, cache ,route',
  AGENT_PRIVATE_KEY: SEED,
  LEAD_PUBLIC_KEYS: `lead-1=${LEAD_KEY}`,
};

function problem(env: Record<string, unknown>): EdgeError {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof EdgeError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('parseConfig', () => {
  it('parses bindings into a frozen config with defaults', () => {
    const config = parseConfig(valid);
    expect(config.agentId).toBe('edge-1');
    expect(config.capabilities).toEqual(['route', 'cache']);
    expect(config.agentPrivateKey.byteLength).toBe(32);
    expect(config.leadKeys.get('lead-1')?.length).toBe(1);
    expect(config.maxBodyBytes).toBe(DEFAULT_MAX_BODY_BYTES);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('refuses a body limit below the wire frame limit, which would refuse frames the lead may send', () => {
    expect(problem({ ...valid, MAX_BODY_BYTES: String(DEFAULT_MAX_BODY_BYTES - 1) }).message).toContain('MAX_BODY_BYTES');
    expect(parseConfig({ ...valid, MAX_BODY_BYTES: String(DEFAULT_MAX_BODY_BYTES * 2) }).maxBodyBytes).toBe(DEFAULT_MAX_BODY_BYTES * 2);
  });

  it('names every binding that is wrong', () => {
    const error = problem({ ...valid, AGENT_ID: 'has.dot', MAX_HOLD_MS: '-1', CAPABILITIES: 'Route' });
    expect(error.code).toBe('MISCONFIGURED');
    expect(error.message).toContain('AGENT_ID');
    expect(error.message).toContain('MAX_HOLD_MS');
    expect(error.message).toContain('CAPABILITIES');
  });

  it('never echoes a secret in its message', () => {
    const secret = 'c2VjcmV0LXRoYXQtaXMtbm90LWEta2V5';
    const error = problem({ ...valid, AGENT_PRIVATE_KEY: secret, LEAD_PUBLIC_KEYS: `lead-1=${secret}` });
    expect(error.message).toContain('AGENT_PRIVATE_KEY');
    expect(error.message).toContain('LEAD_PUBLIC_KEYS');
    expect(error.message).not.toContain(secret);
  });

  it('refuses missing secrets', () => {
    const { AGENT_PRIVATE_KEY: _key, ...withoutKey } = valid;
    expect(problem(withoutKey).message).toContain('AGENT_PRIVATE_KEY');
  });
});
