export { EnrollmentWaiter, JOIN_RETRY_MS, type EnrollmentHooks, type EnrollmentWaiterDeps } from './enrollment-waiter.js';
export { LeadDiscovery, type DiscoveryResult, type LeadDiscoveryDeps } from './lead-discovery.js';
