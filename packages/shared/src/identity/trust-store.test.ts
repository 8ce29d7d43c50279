import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { TrustStore } from './trust-store.js';
import { DAY, HOUR, T0, enroll, failure, makeKey, recordFor, unwrap } from './test-fixtures.js';
import type { TestKey } from './test-fixtures.js';

let root: TestKey;
let keyA: TestKey;
let keyB: TestKey;
let keyC: TestKey;
let clock: ManualClock;
let store: TrustStore;

beforeAll(async () => {
  [root, keyA, keyB, keyC] = await Promise.all([makeKey(), makeKey(), makeKey(), makeKey()]);
});

beforeEach(() => {
  clock = new ManualClock(T0);
  store = new TrustStore({ clock });
});

describe('TrustStore', () => {
  it('trusts an added enrollment, by signer id and by key', async () => {
    const record = recordFor(root, 'pi-01', keyA);
    const added = unwrap(store.add(await enroll(root, record, clock)));
    expect(added.publicKeyText).toBe(keyA.text);

    const signer = unwrap(store.lookup('pi-01'));
    expect(signer.publicKey).toEqual(keyA.publicKey);
    expect(signer.record).toEqual(record);
    expect(signer.validUntil).toBe(record.expires_at);
    expect(signer.keys).toHaveLength(1);
    expect(unwrap(store.lookupKey(keyA.text)).agentId).toBe('pi-01');
  });

  it('moves its version on every change to what it trusts, and not on lookups', async () => {
    const versions: number[] = [store.version];
    const record = recordFor(root, 'pi-01', keyA);
    unwrap(store.add(await enroll(root, record, clock)));
    versions.push(store.version);
    store.lookup('pi-01');
    store.lookupKey(keyA.text);
    expect(store.version).toBe(versions.at(-1));
    store.revokeAgent('pi-01');
    versions.push(store.version);
    unwrap(store.restore(store.snapshot()));
    versions.push(store.version);
    clock.advance(record.expires_at - T0);
    expect(store.prune()).toBe(1);
    versions.push(store.version);
    // Strictly increasing: each change moved it.
    expect(versions.every((v, i) => i === 0 || v > versions[i - 1]!)).toBe(true);
  });

  it('lists the agents it trusts now: not leads, not revoked or expired ones', async () => {
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-01', keyA), clock)));
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-02', keyB, { expires_at: T0 + HOUR }), clock)));
    unwrap(store.add(await enroll(root, recordFor(root, 'lead-1', keyC, { role: 'lead' }), clock)));
    expect([...store.trustedAgentIds()]).toEqual(['pi-01', 'pi-02']);
    clock.advance(HOUR);
    expect([...store.trustedAgentIds()]).toEqual(['pi-01']);
    store.revokeAgent('pi-01');
    expect([...store.trustedAgentIds()]).toEqual([]);
  });

  it('refuses an unknown agent and an unknown key as NOT_ENROLLED', async () => {
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-01', keyA), clock)));
    const agent = failure(store.lookup('pi-99'));
    expect(agent.code).toBe('NOT_ENROLLED');
    expect(agent.message).toContain('pi-99');
    expect(failure(store.lookupKey(keyB.text)).code).toBe('NOT_ENROLLED');
  });

  it('stops trusting a key when its enrollment expires', async () => {
    const record = recordFor(root, 'pi-01', keyA, { expires_at: T0 + HOUR });
    unwrap(store.add(await enroll(root, record, clock)));
    clock.set(record.expires_at - 1);
    expect(store.lookup('pi-01').ok).toBe(true);
    clock.set(record.expires_at);
    const error = failure(store.lookup('pi-01'));
    expect(error.code).toBe('ENROLLMENT_EXPIRED');
    expect(error.message).toContain('enrollment expired');
  });

  it('refuses an enrollment that expired between verification and add', async () => {
    const verified = await enroll(root, recordFor(root, 'pi-01', keyA, { expires_at: T0 + HOUR }), clock);
    clock.advance(HOUR);
    expect(failure(store.add(verified)).code).toBe('ENROLLMENT_EXPIRED');
    expect(store.size).toBe(0);
  });

  it('refuses a revoked agent, and its enrollments issued before the revocation', async () => {
    const verified = await enroll(root, recordFor(root, 'pi-01', keyA), clock);
    unwrap(store.add(verified));
    clock.advance(1_000);
    store.revokeAgent('pi-01');
    expect(failure(store.lookup('pi-01')).code).toBe('ENROLLMENT_REVOKED');
    expect(failure(store.lookupKey(keyA.text)).code).toBe('ENROLLMENT_REVOKED');

    // A replayed or second pre-revocation enrollment cannot bring the agent back.
    expect(failure(store.add(verified)).code).toBe('ENROLLMENT_REVOKED');
    const otherOld = await enroll(root, recordFor(root, 'pi-01', keyB), clock);
    const error = failure(store.add(otherOld));
    expect(error.code).toBe('ENROLLMENT_REVOKED');
    expect(error.path).toBe('issued_at');
  });

  it('re-enrolls a revoked agent with a new key enrolled after the revocation', async () => {
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-01', keyA), clock)));
    clock.advance(1_000);
    store.revokeAgent('pi-01');
    clock.advance(1_000);
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-01', keyB, { issued_at: clock.now() }), clock)));
    const signer = unwrap(store.lookup('pi-01'));
    expect(signer.publicKeyText).toBe(keyB.text);
    expect(signer.keys.map((k) => k.publicKeyText)).toEqual([keyB.text]);
  });

  it('revokes one key while the agent’s other keys stay trusted', async () => {
    unwrap(store.add(await enroll(root, recordFor(root, 'lead-1', keyA, { role: 'lead' }), clock)));
    unwrap(store.add(await enroll(root, recordFor(root, 'lead-1', keyB, { role: 'lead', issued_at: T0 + 1 }), clock)));
    expect(unwrap(store.lookup('lead-1')).keys).toHaveLength(2);
    store.revokeKey(keyB.text);
    const signer = unwrap(store.lookup('lead-1'));
    expect(signer.keys.map((k) => k.publicKeyText)).toEqual([keyA.text]);
    expect(failure(store.lookupKey(keyB.text)).code).toBe('ENROLLMENT_REVOKED');
  });

  it('refuses a revoked key even when its enrollment arrives after the revocation', async () => {
    store.revokeKey(keyC.text);
    expect(failure(store.lookupKey(keyC.text)).code).toBe('ENROLLMENT_REVOKED');
    const error = failure(store.add(await enroll(root, recordFor(root, 'pi-03', keyC), clock)));
    expect(error.code).toBe('ENROLLMENT_REVOKED');
    expect(error.message).toContain(keyC.text);
  });

  it('refuses to enroll one key for two agents', async () => {
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-01', keyA), clock)));
    const error = failure(store.add(await enroll(root, recordFor(root, 'pi-02', keyA), clock)));
    expect(error.code).toBe('BAD_KEY');
    expect(error.message).toContain('pi-01');
  });

  it('keeps the newest enrollment of a key; an older one never replaces it', async () => {
    const older = await enroll(root, recordFor(root, 'pi-01', keyA, { capabilities: ['old'] }), clock);
    const newer = await enroll(root, recordFor(root, 'pi-01', keyA, { capabilities: ['new'], issued_at: T0 + 1 }), clock);
    unwrap(store.add(newer));
    unwrap(store.add(older));
    expect(unwrap(store.lookup('pi-01')).record.capabilities).toEqual(['new']);
  });

  it('hands out records that cannot be edited in place', async () => {
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-01', keyA), clock)));
    const { record } = unwrap(store.lookup('pi-01'));
    expect(() => record.capabilities.push('admin')).toThrow(TypeError);
    expect(() => {
      (record as { role: string }).role = 'operator';
    }).toThrow(TypeError);
    expect(unwrap(store.lookup('pi-01')).record.capabilities).toEqual(['sensor.read', 'act']);
  });

  it('prunes entries whose enrollment expired, and only those', async () => {
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-01', keyA, { expires_at: T0 + HOUR }), clock)));
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-02', keyB, { expires_at: T0 + DAY }), clock)));
    expect(store.prune()).toBe(0);
    clock.set(T0 + HOUR);
    expect(store.prune()).toBe(1);
    expect(store.size).toBe(1);
    expect(failure(store.lookup('pi-01')).code).toBe('NOT_ENROLLED');
    expect(store.lookup('pi-02').ok).toBe(true);
  });
});

describe('TrustStore snapshot and restore', () => {
  it('restores the same trust decisions from a JSON copy', async () => {
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-01', keyA), clock)));
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-02', keyB), clock)));
    store.revokeAgent('pi-02');
    store.revokeKey(keyC.text);
    const json = JSON.stringify(store.snapshot());

    const copy = new TrustStore({ clock });
    unwrap(copy.restore(JSON.parse(json)));
    expect(unwrap(copy.lookup('pi-01')).publicKey).toEqual(keyA.publicKey);
    expect(failure(copy.lookup('pi-02')).code).toBe('ENROLLMENT_REVOKED');
    expect(failure(copy.lookupKey(keyC.text)).code).toBe('ENROLLMENT_REVOKED');
    // The agent revocation still refuses pre-revocation enrollments after a restart.
    expect(failure(copy.add(await enroll(root, recordFor(root, 'pi-02', keyC), clock))).code).toBe('ENROLLMENT_REVOKED');
    expect(copy.snapshot()).toEqual(JSON.parse(json));
  });

  it('refuses a malformed snapshot, naming the field, and keeps its state', async () => {
    unwrap(store.add(await enroll(root, recordFor(root, 'pi-01', keyA), clock)));
    const good = store.snapshot();
    const broken = structuredClone(good);
    broken.keys[0]!.record.class = 'Q' as 'A';
    const error = failure(store.restore(broken));
    expect(error.code).toBe('INVALID_FIELDS');
    expect(error.path).toBe('keys.0.record.class');

    const duplicated = { ...good, keys: [good.keys[0]!, good.keys[0]!] };
    const duplicate = failure(store.restore(duplicated));
    expect(duplicate.code).toBe('INVALID_FIELDS');
    expect(duplicate.path).toBe('keys.1');
    expect(failure(store.restore({ ...good, v: 2 })).path).toBe('v');

    expect(store.lookup('pi-01').ok).toBe(true);
  });
});
