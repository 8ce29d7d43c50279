/** Identities: enrollment by the mesh root, the store of trusted keys, and key rotation. */
export { PublicKeyText, decodePublicKey, publicKeyText } from './public-key.js';
export { MAX_SIGNED_RECORD_CHARS, SignedRecord } from './signed-record.js';
export {
  DEFAULT_ENROLLMENT_SKEW_MS,
  EnrollmentRecord,
  RootKeyId,
  issueEnrollment,
  verifyEnrollment,
} from './enrollment.js';
export type { VerifiedEnrollment, VerifyEnrollmentOptions } from './enrollment.js';
export {
  EnrollmentRequest,
  createEnrollmentRequest,
  enrollmentFromRequest,
  verifyEnrollmentRequest,
} from './enrollment-request.js';
export type { EnrollmentTerms } from './enrollment-request.js';
export { TrustStore } from './trust-store.js';
export type { TrustStoreDeps, TrustedKey, TrustedSigner } from './trust-store.js';
export { TRUST_STORE_SNAPSHOT_VERSION, TrustStoreSnapshot } from './trust-store-snapshot.js';
export {
  DEFAULT_ROTATION_SKEW_MS,
  KeyRotationRecord,
  MAX_ROTATION_OVERLAP_MS,
  rotateKey,
  signRotation,
  verifyRotation,
} from './rotation.js';
export type { KeyRotationTerms, VerifiedRotation, VerifyRotationOptions } from './rotation.js';
