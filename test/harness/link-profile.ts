// What one direction of an emulated link does to each chunk. The model itself is in shared
// (packages/shared/src/link), where the sims' per-agent links use it too; the harness adds
// its own error type.
import { linkProfileProblems, type LinkProfile } from '@mesh30k/shared';
import { HarnessError } from './errors.js';

export {
  HEAVY_TAIL_CAP_FACTOR,
  HEAVY_TAIL_MEDIAN_FRACTION,
  HEAVY_TAIL_SHAPE,
  MIN_RTO_MS,
  defaultRetransmitMs,
  sampleDelay,
  type DelaySample,
  type JitterShape,
  type LinkProfile,
} from '@mesh30k/shared';

/** Throws INVALID_PROFILE for values that cannot describe a link; returns a frozen copy. */
export function checkProfile(profile: LinkProfile): Readonly<LinkProfile> {
  const problems = linkProfileProblems(profile);
  if (problems.length > 0) throw new HarnessError('INVALID_PROFILE', `invalid link profile: ${problems.join('; ')}`);
  return Object.freeze({ ...profile });
}
