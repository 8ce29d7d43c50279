export { loadLeadIdentity, type LeadIdentity } from './lead-identity.js';
export { readEnrollmentFiles } from './enrollment-files.js';
export { addEnrollmentsFrom, saveTrust, setUpTrust, type TrustSetup, type TrustSetupDeps, type TrustSetupOptions } from './trust-setup.js';
export { enrollmentOf, trustedKeyResolver } from './key-resolver.js';
export { KeyAnnouncements, type AnnouncementReply, type KeyAnnouncementDeps } from './key-announcements.js';
export { enrollOne, revokeOne, type EnrollDeps, type EnrollOutcome } from './enroll-one.js';
export { DEFAULT_ENROLLMENT_DAYS, MAX_ENROLLMENT_DAYS, signRequest, type EnrollmentOverrides } from './sign-request.js';
