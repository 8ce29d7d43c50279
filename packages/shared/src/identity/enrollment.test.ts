import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { fromBase64Url, toBase64Url } from '../signing/encoding.js';
import { DEFAULT_ENROLLMENT_SKEW_MS, issueEnrollment, verifyEnrollment } from './enrollment.js';
import type { EnrollmentRecord } from './enrollment.js';
import { sealRecord } from './signed-record.js';
import type { SignedRecord } from './signed-record.js';
import { DAY, T0, ed25519, failure, issue, makeKey, recordFor, unwrap } from './test-fixtures.js';
import type { TestKey } from './test-fixtures.js';

let root: TestKey;
let otherRoot: TestKey;
let agent: TestKey;

beforeAll(async () => {
  [root, otherRoot, agent] = await Promise.all([makeKey(), makeKey(), makeKey()]);
});

const clockAt = (ms: number): ManualClock => new ManualClock(ms);

function withBytes(signed: SignedRecord, edit: (bytes: Uint8Array) => void): SignedRecord {
  const bytes = fromBase64Url(signed.bytes);
  edit(bytes);
  return { ...signed, bytes: toBase64Url(bytes) };
}

describe('issueEnrollment and verifyEnrollment', () => {
  it('round-trips: the verified record, key and envelope are what was issued', async () => {
    const record = recordFor(root, 'pi-07', agent, { sector_id: 'sector-2' });
    const signed = await issue(root, record);
    expect(signed.signer_key_id).toBe(root.id);

    const verified = unwrap(await verifyEnrollment(ed25519, [otherRoot.publicKey, root.publicKey], signed, clockAt(T0 + DAY)));
    expect(verified.record).toEqual(record);
    expect(verified.publicKey).toEqual(agent.publicKey);
    expect(verified.signed).toEqual(signed);
  });

  it('signs the carried bytes, so a stored envelope verifies again after a JSON round trip', async () => {
    const signed = await issue(root, recordFor(root, 'pi-07', agent));
    const stored: unknown = JSON.parse(JSON.stringify(signed));
    const again = unwrap(await verifyEnrollment(ed25519, [root.publicKey], stored, clockAt(T0)));
    // The bytes are the UTF-8 JSON the root signed, not a re-serialisation.
    expect(new TextDecoder().decode(fromBase64Url(signed.bytes))).toBe(JSON.stringify(again.record));
  });

  it('refuses tampered record bytes', async () => {
    const signed = await issue(root, recordFor(root, 'pi-07', agent));
    // Change one character of the JSON: "E" (class) becomes "A".
    const tampered = withBytes(signed, (bytes) => {
      const at = new TextDecoder().decode(bytes).indexOf('"class":"E"') + '"class":"'.length;
      bytes[at] = 'A'.charCodeAt(0);
    });
    const error = failure(await verifyEnrollment(ed25519, [root.publicKey], tampered, clockAt(T0)));
    expect(error.code).toBe('BAD_ENROLLMENT_SIGNATURE');
    expect(error.path).toBe('signature');
    expect(error.message).toContain(root.id);
  });

  it('refuses a tampered signature', async () => {
    const signed = await issue(root, recordFor(root, 'pi-07', agent));
    const signature = fromBase64Url(signed.signature);
    signature[0]! ^= 1;
    const error = failure(await verifyEnrollment(ed25519, [root.publicKey], { ...signed, signature: toBase64Url(signature) }, clockAt(T0)));
    expect(error.code).toBe('BAD_ENROLLMENT_SIGNATURE');
  });

  it('refuses an enrollment issued by a key that is not a mesh root', async () => {
    const signed = await issue(otherRoot, recordFor(otherRoot, 'pi-07', agent));
    const error = failure(await verifyEnrollment(ed25519, [root.publicKey], signed, clockAt(T0)));
    expect(error.code).toBe('BAD_ENROLLMENT_SIGNATURE');
    expect(error.path).toBe('signer_key_id');
    expect(error.message).toContain(otherRoot.id);
  });

  it('refuses an envelope that names a trusted root but was signed by another key', async () => {
    const forged = unwrap(await sealRecord(otherRoot.signer, root.id, recordFor(root, 'pi-07', agent), 'enrollment'));
    const error = failure(await verifyEnrollment(ed25519, [root.publicKey], forged, clockAt(T0)));
    expect(error.code).toBe('BAD_ENROLLMENT_SIGNATURE');
  });

  it('refuses a record whose issuer differs from the key that signed it', async () => {
    const mismatched = unwrap(await sealRecord(root.signer, root.id, recordFor(otherRoot, 'pi-07', agent), 'enrollment'));
    const error = failure(await verifyEnrollment(ed25519, [root.publicKey, otherRoot.publicKey], mismatched, clockAt(T0)));
    expect(error.code).toBe('SIGNER_MISMATCH');
    expect(error.path).toBe('issuer_key_id');
  });

  it('refuses an expired enrollment from expires_at on', async () => {
    const record = recordFor(root, 'pi-07', agent);
    const signed = await issue(root, record);
    expect((await verifyEnrollment(ed25519, [root.publicKey], signed, clockAt(record.expires_at - 1))).ok).toBe(true);
    const error = failure(await verifyEnrollment(ed25519, [root.publicKey], signed, clockAt(record.expires_at)));
    expect(error.code).toBe('ENROLLMENT_EXPIRED');
    expect(error.path).toBe('expires_at');
    expect(error.message).toContain('pi-07');
  });

  it('refuses an enrollment that is not valid yet, beyond the skew allowance', async () => {
    const record = recordFor(root, 'pi-07', agent, { issued_at: T0 + DAY, expires_at: T0 + 2 * DAY });
    const signed = await issue(root, record);
    const early = clockAt(record.issued_at - DEFAULT_ENROLLMENT_SKEW_MS - 1);
    const error = failure(await verifyEnrollment(ed25519, [root.publicKey], signed, early));
    expect(error.code).toBe('FROM_THE_FUTURE');
    expect(error.path).toBe('issued_at');
    const withinSkew = clockAt(record.issued_at - DEFAULT_ENROLLMENT_SKEW_MS);
    expect((await verifyEnrollment(ed25519, [root.publicKey], signed, withinSkew)).ok).toBe(true);
    expect((await verifyEnrollment(ed25519, [root.publicKey], signed, early, { skewMs: DAY })).ok).toBe(true);
  });

  it('refuses an envelope of the wrong shape, naming the field', async () => {
    const signed = await issue(root, recordFor(root, 'pi-07', agent));
    const error = failure(await verifyEnrollment(ed25519, [root.publicKey], { ...signed, signature: 'short' }, clockAt(T0)));
    expect(error.code).toBe('INVALID_FIELDS');
    expect(error.path).toBe('signature');
    expect(error.message).toContain('signed enrollment.signature');
    expect(failure(await verifyEnrollment(ed25519, [root.publicKey], 'not an envelope', clockAt(T0))).code).toBe('INVALID_FIELDS');
  });
});

describe('enrollment schema errors', () => {
  const invalid: [string, (record: EnrollmentRecord) => unknown, string][] = [
    ['an unknown class', (r) => ({ ...r, class: 'Z' }), 'class'],
    ['an upper-case capability', (r) => ({ ...r, capabilities: ['ok', 'NOT-OK'] }), 'capabilities.1'],
    ['an agent id that is not a subject token', (r) => ({ ...r, agent_id: 'pi.07' }), 'agent_id'],
    ['a public key that is not 32 bytes', (r) => ({ ...r, public_key: 'AAAA' }), 'public_key'],
    ['expires_at not after issued_at', (r) => ({ ...r, expires_at: r.issued_at }), 'expires_at'],
    ['a missing role', ({ role: _role, ...rest }) => rest, 'role'],
    ['a wrong protocol version', (r) => ({ ...r, v: 99 }), 'v'],
    ['an unknown field', (r) => ({ ...r, admin: true }), ''],
  ];

  it.each(invalid)('issueEnrollment refuses %s, naming the field', async (_name, edit, path) => {
    const record = edit(recordFor(root, 'pi-07', agent)) as EnrollmentRecord;
    const error = failure(await issueEnrollment(root.signer, record));
    expect(error.code).toBe('INVALID_FIELDS');
    expect(error.path).toBe(path);
    expect(error.message).toContain(`enrollment.${path || '(root)'}`);
  });

  it.each(invalid)('verifyEnrollment refuses a root-signed record with %s', async (_name, edit, path) => {
    const record = edit(recordFor(root, 'pi-07', agent));
    const signed = unwrap(await sealRecord(root.signer, root.id, record, 'enrollment'));
    const error = failure(await verifyEnrollment(ed25519, [root.publicKey], signed, clockAt(T0)));
    expect(error.code).toBe('INVALID_FIELDS');
    expect(error.path).toBe(path);
  });

  it('refuses signed bytes that are not UTF-8 JSON, after checking the signature', async () => {
    const notJson = unwrap(await sealRecord(root.signer, root.id, 'plain', 'enrollment'));
    const garbled = withBytes(notJson, (bytes) => bytes.set([0xff], 0));
    const resigned = { ...garbled, signature: toBase64Url(await root.signer.sign(fromBase64Url(garbled.bytes))) };
    expect(failure(await verifyEnrollment(ed25519, [root.publicKey], resigned, clockAt(T0))).code).toBe('NOT_UTF8');

    const text = new TextEncoder().encode('{"agent_id":');
    const truncated = { bytes: toBase64Url(text), signature: toBase64Url(await root.signer.sign(text)), signer_key_id: root.id };
    expect(failure(await verifyEnrollment(ed25519, [root.publicKey], truncated, clockAt(T0))).code).toBe('MALFORMED_JSON');
  });
});
