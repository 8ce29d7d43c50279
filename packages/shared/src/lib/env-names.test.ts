import { describe, expect, it } from 'vitest';
import { describeUnknownEnv, unknownEnvNames } from './env-names.js';

const KNOWN = ['MESH_LEAD_HTTP__PORT', 'MESH_LEAD_LEAD_ID', 'MESH_LEAD_NATS__SERVERS'];

describe('unknownEnvNames', () => {
  it('lists prefixed names that match no known or ignored name, sorted, and nothing else', () => {
    const env = { MESH_LEAD_ZZZ: '1', MESH_LEAD_HTTP__PORT: '80', MESH_LEAD_URL: 'http://x', HOME: '/root', MESH_LEAD_AAA: '' };
    const names = unknownEnvNames(env, { prefix: 'MESH_LEAD_', known: KNOWN, ignored: ['MESH_LEAD_URL'] });
    expect(names.map((entry) => entry.name)).toEqual(['MESH_LEAD_AAA', 'MESH_LEAD_ZZZ']);
  });

  it('suggests the known name a typo was meant to be, and none for a stranger', () => {
    const env = { MESH_LEAD_HTTP_PORT: '80', MESH_LEAD_LEADID: 'a', MESH_LEAD_SOMETHING_ELSE: 'x' };
    const names = unknownEnvNames(env, { prefix: 'MESH_LEAD_', known: KNOWN });
    expect(names).toEqual([
      { name: 'MESH_LEAD_HTTP_PORT', suggestion: 'MESH_LEAD_HTTP__PORT' },
      { name: 'MESH_LEAD_LEADID', suggestion: 'MESH_LEAD_LEAD_ID' },
      { name: 'MESH_LEAD_SOMETHING_ELSE' },
    ]);
    expect(describeUnknownEnv(names)).toBe(
      'MESH_LEAD_HTTP_PORT (did you mean MESH_LEAD_HTTP__PORT?), MESH_LEAD_LEADID (did you mean MESH_LEAD_LEAD_ID?), MESH_LEAD_SOMETHING_ELSE',
    );
  });
});
