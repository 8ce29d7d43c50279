export {
  CONFLICT_CONFIDENCE_WEIGHT,
  QUORUM_DEFAULTS,
  countTrinary,
  proceedIsSettled,
  trinaryQuorum,
  type QuorumCounts,
  type QuorumDecision,
  type QuorumInput,
  type QuorumRates,
  type QuorumResult,
  type QuorumThresholds,
} from './trinary-quorum.js';
