/**
 * Keys and records for the identity tests (not part of the package's surface). Uses the
 * portable noble implementation so the same tests run in Node and in workerd.
 */
import type { Clock } from '../lib/clock.js';
import type { MeshError, Result } from '../lib/errors.js';
import { PROTOCOL_VERSION } from '../protocol/enums.js';
import { keyId } from '../signing/key-id.js';
import { nobleEd25519 } from '../signing/noble.js';
import type { PrivateKeyBytes, PublicKeyBytes, Signer } from '../signing/types.js';
import { issueEnrollment, verifyEnrollment } from './enrollment.js';
import type { EnrollmentRecord, VerifiedEnrollment } from './enrollment.js';
import { publicKeyText } from './public-key.js';
import type { SignedRecord } from './signed-record.js';

export const ed25519 = nobleEd25519;
/** A fixed start time, so messages in failures are readable. */
export const T0 = 1_750_000_000_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface TestKey {
  publicKey: PublicKeyBytes;
  privateKey: PrivateKeyBytes;
  signer: Signer;
  /** Canonical base64url of the public key. */
  text: string;
  /** The signing module's short key id. */
  id: string;
}

export async function makeKey(): Promise<TestKey> {
  const { publicKey, privateKey } = await ed25519.generateKeyPair();
  return { publicKey, privateKey, signer: await ed25519.signer(privateKey), text: publicKeyText(publicKey), id: await keyId(publicKey) };
}

export function recordFor(root: TestKey, agentId: string, agent: TestKey, overrides: Partial<EnrollmentRecord> = {}): EnrollmentRecord {
  return {
    v: PROTOCOL_VERSION,
    agent_id: agentId,
    public_key: agent.text,
    role: 'agent',
    class: 'E',
    capabilities: ['sensor.read', 'act'],
    cluster_id: 'cluster-1',
    issued_at: T0,
    expires_at: T0 + 30 * DAY,
    issuer_key_id: root.id,
    ...overrides,
  };
}

/** The value of a Result that the test expects to be ok; fails the test with the error otherwise. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** The error of a Result that the test expects to fail. */
export function failure<T>(result: Result<T>): MeshError {
  if (result.ok) throw new Error('expected an error, got ok');
  return result.error;
}

export async function issue(root: TestKey, record: EnrollmentRecord): Promise<SignedRecord> {
  return unwrap(await issueEnrollment(root.signer, record));
}

export async function enroll(root: TestKey, record: EnrollmentRecord, clock: Clock): Promise<VerifiedEnrollment> {
  return unwrap(await verifyEnrollment(ed25519, [root.publicKey], await issue(root, record), clock));
}
