import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { PROTOCOL_VERSION } from '../protocol/enums.js';
import { fromBase64Url, toBase64Url } from '../signing/encoding.js';
import { issueEnrollment, verifyEnrollment } from './enrollment.js';
import { createEnrollmentRequest, enrollmentFromRequest, verifyEnrollmentRequest } from './enrollment-request.js';
import type { EnrollmentRequest } from './enrollment-request.js';
import { sealRecord } from './signed-record.js';
import { DAY, T0, ed25519, failure, makeKey, unwrap } from './test-fixtures.js';
import type { TestKey } from './test-fixtures.js';

let root: TestKey;
let agent: TestKey;
let stranger: TestKey;

beforeAll(async () => {
  [root, agent, stranger] = await Promise.all([makeKey(), makeKey(), makeKey()]);
});

function requestFor(key: TestKey): EnrollmentRequest {
  return {
    v: PROTOCOL_VERSION,
    agent_id: 'pi-12',
    public_key: key.text,
    role: 'agent',
    class: 'E',
    capabilities: ['sensor.read'],
    cluster_id: 'cluster-3',
    created_at: T0,
  };
}

describe('enrollment requests', () => {
  it('round-trips a request signed by the key it names', async () => {
    const signed = unwrap(await createEnrollmentRequest(agent.signer, requestFor(agent)));
    expect(signed.signer_key_id).toBe(agent.text);
    expect(unwrap(await verifyEnrollmentRequest(ed25519, signed))).toEqual(requestFor(agent));
  });

  it('refuses a tampered request', async () => {
    const signed = unwrap(await createEnrollmentRequest(agent.signer, requestFor(agent)));
    const bytes = fromBase64Url(signed.bytes);
    bytes[bytes.length - 2]! ^= 1;
    const error = failure(await verifyEnrollmentRequest(ed25519, { ...signed, bytes: toBase64Url(bytes) }));
    expect(error.code).toBe('BAD_SIGNATURE');
  });

  it('refuses a request whose signature is not by the named key (no proof of possession)', async () => {
    const forged = unwrap(await sealRecord(stranger.signer, agent.text, requestFor(agent), 'enrollment request'));
    expect(failure(await verifyEnrollmentRequest(ed25519, forged)).code).toBe('BAD_SIGNATURE');
  });

  it('refuses a request that names a different key from the one that signed it', async () => {
    const mismatched = unwrap(await sealRecord(stranger.signer, stranger.text, requestFor(agent), 'enrollment request'));
    const error = failure(await verifyEnrollmentRequest(ed25519, mismatched));
    expect(error.code).toBe('SIGNER_MISMATCH');
    expect(error.path).toBe('public_key');
  });

  it('refuses a signer_key_id that is not a public key', async () => {
    const signed = unwrap(await createEnrollmentRequest(agent.signer, requestFor(agent)));
    const error = failure(await verifyEnrollmentRequest(ed25519, { ...signed, signer_key_id: 'pi-12' }));
    expect(error.code).toBe('BAD_KEY');
    expect(error.path).toBe('signer_key_id');
  });

  it('refuses an invalid request, naming the field', async () => {
    const error = failure(await createEnrollmentRequest(agent.signer, { ...requestFor(agent), cluster_id: '' }));
    expect(error.code).toBe('INVALID_FIELDS');
    expect(error.path).toBe('cluster_id');
    expect(error.message).toContain('enrollment request.cluster_id');
  });

  it('turns a verified request into an enrollment the root can issue', async () => {
    const request = unwrap(await verifyEnrollmentRequest(ed25519, unwrap(await createEnrollmentRequest(agent.signer, requestFor(agent)))));
    const record = enrollmentFromRequest(request, { issued_at: T0 + 1, expires_at: T0 + 30 * DAY, issuer_key_id: root.id });
    const signed = unwrap(await issueEnrollment(root.signer, record));
    const verified = unwrap(await verifyEnrollment(ed25519, [root.publicKey], signed, new ManualClock(T0 + 1)));
    expect(verified.record).toMatchObject({ agent_id: 'pi-12', public_key: agent.text, class: 'E', cluster_id: 'cluster-3' });
    expect(verified.record).not.toHaveProperty('created_at');
  });
});
