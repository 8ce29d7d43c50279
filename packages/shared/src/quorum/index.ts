export {
  CONFLICT_CONFIDENCE_WEIGHT,
  QUORUM_DEFAULTS,
  countTrinary,
  trinaryQuorum,
  type QuorumCounts,
  type QuorumDecision,
  type QuorumInput,
  type QuorumRates,
  type QuorumResult,
  type QuorumThresholds,
} from './trinary-quorum.js';
