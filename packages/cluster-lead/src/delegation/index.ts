/** Delegation: one task to the best agent, reassigned on failure, dead-lettered when none is left. */
export { AckTap } from './ack-tap.js';
export { DEFAULT_DELAY_QUANTUM_MS, compareCandidates, rankCandidates, selectorOf } from './chooser.js';
export type { Candidate, DelegationRegistry, Exclusion, ExclusionCode, Ranking, RankOptions } from './chooser.js';
export { DELEGATION_DEAD_LETTER_KIND, DELEGATION_EVENTS, MAX_REPORTED_EXCLUSIONS, createDelegator, verdictOf } from './delegator.js';
export type { AttemptOutcome, DelegateOutcome, StartOutcome, DelegationAttempt, DelegationDeps, DelegationResult, Delegator } from './delegator.js';
export { DEFAULT_DELEGATION_TIMEOUT_MS, DEFAULT_MAX_ATTEMPTS, DelegationRequest, describeTarget, parseDelegation } from './request.js';
export type { DelegationInputError, DelegationRequestInput, ParsedDelegation } from './request.js';
export { DelegationBody, DelegationDesk, delegationResultJson, delegationRoutes, toDelegationRequest } from './api-body.js';
