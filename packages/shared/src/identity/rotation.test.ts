import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { PROTOCOL_VERSION } from '../protocol/enums.js';
import { DEFAULT_ROTATION_SKEW_MS, MAX_ROTATION_OVERLAP_MS, rotateKey, signRotation, verifyRotation } from './rotation.js';
import type { KeyRotationTerms } from './rotation.js';
import { sealRecord } from './signed-record.js';
import type { SignedRecord } from './signed-record.js';
import { TrustStore } from './trust-store.js';
import { DAY, HOUR, T0, ed25519, enroll, failure, makeKey, recordFor, unwrap } from './test-fixtures.js';
import type { TestKey } from './test-fixtures.js';

let root: TestKey;
let oldKey: TestKey;
let newKey: TestKey;
let thirdKey: TestKey;
let otherAgentKey: TestKey;
let clock: ManualClock;
let store: TrustStore;

const ROTATED_AT = T0 + DAY;
const OVERLAP_END = ROTATED_AT + HOUR;

beforeAll(async () => {
  [root, oldKey, newKey, thirdKey, otherAgentKey] = await Promise.all([makeKey(), makeKey(), makeKey(), makeKey(), makeKey()]);
});

beforeEach(async () => {
  clock = new ManualClock(T0);
  store = new TrustStore({ clock });
  unwrap(store.add(await enroll(root, recordFor(root, 'pi-01', oldKey), clock)));
  unwrap(store.add(await enroll(root, recordFor(root, 'pi-02', otherAgentKey), clock)));
  clock.set(ROTATED_AT);
});

function terms(from: TestKey, to: TestKey, overrides: Partial<KeyRotationTerms> = {}): KeyRotationTerms {
  return {
    v: PROTOCOL_VERSION,
    agent_id: 'pi-01',
    old_public_key: from.text,
    new_public_key: to.text,
    effective_at: ROTATED_AT,
    overlap_until: OVERLAP_END,
    ...overrides,
  };
}

async function rotation(from: TestKey, to: TestKey, overrides: Partial<KeyRotationTerms> = {}): Promise<SignedRecord> {
  return unwrap(await signRotation(from.signer, to.signer, terms(from, to, overrides)));
}

describe('key rotation', () => {
  it('accepts a rotation signed by the old key; both keys are trusted during the overlap, the new one preferred', async () => {
    const added = unwrap(await rotateKey(ed25519, store, await rotation(oldKey, newKey), clock));
    expect(added.publicKeyText).toBe(newKey.text);

    const signer = unwrap(store.lookup('pi-01'));
    expect(signer.publicKey).toEqual(newKey.publicKey);
    expect(signer.keys.map((k) => k.publicKeyText)).toEqual([newKey.text, oldKey.text]);
    expect(signer.keys[1]!.validUntil).toBe(OVERLAP_END);
  });

  it('keeps the old key until overlap_until and refuses it from then on', async () => {
    unwrap(await rotateKey(ed25519, store, await rotation(oldKey, newKey), clock));
    clock.set(OVERLAP_END - 1);
    expect(store.lookupKey(oldKey.text).ok).toBe(true);
    clock.set(OVERLAP_END);
    const error = failure(store.lookupKey(oldKey.text));
    expect(error.code).toBe('ENROLLMENT_EXPIRED');
    expect(error.message).toContain('rotated out');
    expect(unwrap(store.lookup('pi-01')).keys.map((k) => k.publicKeyText)).toEqual([newKey.text]);
  });

  it('gives the new key the old enrollment, never a later expiry', async () => {
    const added = unwrap(await rotateKey(ed25519, store, await rotation(oldKey, newKey), clock));
    const original = unwrap(store.lookupKey(oldKey.text)).record;
    expect(added.record).toEqual({ ...original, public_key: newKey.text });
    expect(added.validUntil).toBe(original.expires_at);
  });

  it('refuses a rotation signed by the new key', async () => {
    const proof = terms(oldKey, newKey);
    // Claims the old key as signer, but the new key signed.
    const wrongSigner = unwrap(await signRotation(newKey.signer, newKey.signer, proof));
    const error = failure(await verifyRotation(ed25519, store, wrongSigner, clock));
    expect(error.code).toBe('BAD_ROTATION');
    expect(error.path).toBe('signature');
    // Names the new key as signer: it is not trusted, so nothing it signs can rotate.
    const selfNamed = { ...wrongSigner, signer_key_id: newKey.text };
    expect(failure(await verifyRotation(ed25519, store, selfNamed, clock)).code).toBe('NOT_ENROLLED');
    expect(failure(store.lookupKey(newKey.text)).code).toBe('NOT_ENROLLED');
  });

  it('refuses a rotation whose new key did not sign the proof', async () => {
    const withoutPossession = unwrap(await signRotation(oldKey.signer, thirdKey.signer, terms(oldKey, newKey)));
    const error = failure(await verifyRotation(ed25519, store, withoutPossession, clock));
    expect(error.code).toBe('BAD_ROTATION');
    expect(error.path).toBe('new_key_proof');
  });

  it('refuses a rotation signed by one trusted key that names another as the old key', async () => {
    const record = { ...terms(oldKey, newKey), new_key_proof: 'A'.repeat(86) };
    const signed = unwrap(await sealRecord(otherAgentKey.signer, otherAgentKey.text, record, 'key rotation'));
    const error = failure(await verifyRotation(ed25519, store, signed, clock));
    expect(error.code).toBe('BAD_ROTATION');
    expect(error.path).toBe('old_public_key');
  });

  it("refuses to rotate another agent's key", async () => {
    const signed = await rotation(otherAgentKey, newKey);
    const error = failure(await verifyRotation(ed25519, store, signed, clock));
    expect(error.code).toBe('BAD_ROTATION');
    expect(error.path).toBe('agent_id');
    expect(error.message).toContain('pi-02');
  });

  it('refuses to rotate to a key enrolled for another agent', async () => {
    const error = failure(await verifyRotation(ed25519, store, await rotation(oldKey, otherAgentKey), clock));
    expect(error.code).toBe('BAD_ROTATION');
    expect(error.path).toBe('new_public_key');
  });

  it('refuses a second rotation of a key already rotated out, but re-applying the same one is harmless', async () => {
    const first = await rotation(oldKey, newKey);
    unwrap(await rotateKey(ed25519, store, first, clock));
    unwrap(await rotateKey(ed25519, store, first, clock));
    expect(unwrap(store.lookup('pi-01')).keys).toHaveLength(2);

    const second = failure(await verifyRotation(ed25519, store, await rotation(oldKey, thirdKey), clock));
    expect(second.code).toBe('BAD_ROTATION');
    expect(second.message).toContain('already rotated');
  });

  it('refuses a rotation from an expired or revoked key', async () => {
    const signed = await rotation(oldKey, newKey);
    store.revokeKey(oldKey.text);
    expect(failure(await verifyRotation(ed25519, store, signed, clock)).code).toBe('ENROLLMENT_REVOKED');

    const laterClock = new ManualClock(T0);
    const later = new TrustStore({ clock: laterClock });
    unwrap(later.add(await enroll(root, recordFor(root, 'pi-01', oldKey, { expires_at: ROTATED_AT }), laterClock)));
    laterClock.set(ROTATED_AT);
    expect(failure(await verifyRotation(ed25519, later, signed, laterClock)).code).toBe('ENROLLMENT_EXPIRED');
  });

  it('re-checks the store when applying: a revocation after verifying wins', async () => {
    const verified = unwrap(await verifyRotation(ed25519, store, await rotation(oldKey, newKey), clock));
    store.revokeAgent('pi-01');
    expect(failure(store.applyRotation(verified)).code).toBe('ENROLLMENT_REVOKED');
    expect(failure(store.lookupKey(newKey.text)).code).toBe('NOT_ENROLLED');
  });

  it('revoking the old key also revokes the key rotated in under its signature', async () => {
    unwrap(await rotateKey(ed25519, store, await rotation(oldKey, newKey), clock));
    store.revokeKey(oldKey.text);
    expect(failure(store.lookupKey(newKey.text)).code).toBe('ENROLLMENT_REVOKED');
    expect(failure(store.lookup('pi-01')).code).toBe('ENROLLMENT_REVOKED');
  });

  it('cannot be undone by replaying the old key’s enrollment', async () => {
    const oldEnrollment = await enroll(root, recordFor(root, 'pi-01', oldKey), new ManualClock(T0));
    unwrap(await rotateKey(ed25519, store, await rotation(oldKey, newKey), clock));
    clock.set(OVERLAP_END);
    expect(failure(store.add(oldEnrollment)).code).toBe('ENROLLMENT_EXPIRED');
    expect(failure(store.lookupKey(oldKey.text)).code).toBe('ENROLLMENT_EXPIRED');
  });

  it('keeps a rotated-out key retired even when a newer enrollment of it turns up', async () => {
    const renewal = await enroll(root, recordFor(root, 'pi-01', oldKey, { issued_at: T0 + 1, capabilities: ['renewed'] }), clock);
    unwrap(await rotateKey(ed25519, store, await rotation(oldKey, newKey), clock));
    expect(unwrap(store.add(renewal)).validUntil).toBe(OVERLAP_END);
    clock.set(OVERLAP_END);
    expect(failure(store.lookupKey(oldKey.text)).code).toBe('ENROLLMENT_EXPIRED');
  });

  it('survives a snapshot and restore in the middle of the overlap', async () => {
    unwrap(await rotateKey(ed25519, store, await rotation(oldKey, newKey), clock));
    const copy = new TrustStore({ clock });
    unwrap(copy.restore(JSON.parse(JSON.stringify(store.snapshot()))));
    expect(unwrap(copy.lookup('pi-01')).keys.map((k) => k.publicKeyText)).toEqual([newKey.text, oldKey.text]);
    expect(failure(await verifyRotation(ed25519, copy, await rotation(oldKey, thirdKey), clock)).code).toBe('BAD_ROTATION');
    clock.set(OVERLAP_END);
    expect(failure(copy.lookupKey(oldKey.text)).code).toBe('ENROLLMENT_EXPIRED');
  });

  it('refuses a rotation that takes effect beyond the skew allowance', async () => {
    const ahead = ROTATED_AT + DEFAULT_ROTATION_SKEW_MS + 1;
    const signed = await rotation(oldKey, newKey, { effective_at: ahead, overlap_until: ahead + HOUR });
    const error = failure(await verifyRotation(ed25519, store, signed, clock));
    expect(error.code).toBe('FROM_THE_FUTURE');
    expect(error.path).toBe('effective_at');
  });

  it('refuses invalid terms, naming the field', async () => {
    const tooLong = failure(await signRotation(oldKey.signer, newKey.signer, terms(oldKey, newKey, { overlap_until: ROTATED_AT + MAX_ROTATION_OVERLAP_MS + 1 })));
    expect(tooLong.code).toBe('INVALID_FIELDS');
    expect(tooLong.path).toBe('overlap_until');
    const same = failure(await signRotation(oldKey.signer, oldKey.signer, terms(oldKey, oldKey)));
    expect(same.path).toBe('new_public_key');
    const backwards = failure(await signRotation(oldKey.signer, newKey.signer, terms(oldKey, newKey, { overlap_until: ROTATED_AT - 1 })));
    expect(backwards.path).toBe('overlap_until');
  });
});
