import { defaultRetransmitMs, deriveSeed, linkProfileProblems, mulberry32, sampleDelay, type LinkProfile, type UniformRandom } from '@mesh30k/shared';
import type { DelayLane, DelayLine } from './delay-line.js';

/** up = agent -> NATS, down = NATS -> agent. */
export type LinkDirection = 'up' | 'down';

export interface LinkProfiles {
  up: LinkProfile;
  down: LinkProfile;
}

export interface LinkCounters {
  sent: number;
  lost: number;
}

const DIRECTION_INDEX: Record<LinkDirection, number> = { up: 0, down: 1 };

/**
 * One virtual agent's own emulated link to NATS: a FIFO and a random stream per direction,
 * as a real Pi has its own path. A heavy-tail draw or a loss on this link delays this agent's
 * traffic only, so each agent's two directions stay as symmetric as its own link is.
 */
export class AgentLink {
  private readonly profiles: Record<LinkDirection, LinkProfile>;
  private readonly lanes: Record<LinkDirection, DelayLane>;
  private readonly randoms: Record<LinkDirection, UniformRandom>;
  private readonly counters: Record<LinkDirection, LinkCounters> = { up: { sent: 0, lost: 0 }, down: { sent: 0, lost: 0 } };

  constructor(line: DelayLine, profiles: LinkProfiles, seed: number) {
    this.profiles = { up: checked(profiles.up), down: checked(profiles.down) };
    this.lanes = { up: line.lane(), down: line.lane() };
    this.randoms = { up: mulberry32(deriveSeed(seed, DIRECTION_INDEX.up)), down: mulberry32(deriveSeed(seed, DIRECTION_INDEX.down)) };
  }

  /**
   * Runs `deliver` once the message, handed over at `sentAt` (monotonic ms; now by default), has
   * crossed this link; returns the emulated delay it gets (loss and FIFO wait included), ms.
   * `dropped` is called instead if the link is closed first.
   */
  send(direction: LinkDirection, deliver: () => void, sentAt?: number, dropped?: () => void): number {
    const retransmitMs = defaultRetransmitMs(this.profiles.up, this.profiles.down);
    const { delayMs, lost } = sampleDelay(this.profiles[direction], this.randoms[direction], retransmitMs);
    const counters = this.counters[direction];
    counters.sent++;
    if (lost) counters.lost++;
    return this.lanes[direction].send(delayMs, deliver, sentAt, dropped);
  }

  profile(direction: LinkDirection): Readonly<LinkProfile> {
    return this.profiles[direction];
  }

  /** Applies to messages sent after the call (a test stalls one agent's link this way). */
  setProfile(direction: LinkDirection | 'both', profile: LinkProfile): void {
    const valid = checked(profile);
    if (direction !== 'down') this.profiles.up = valid;
    if (direction !== 'up') this.profiles.down = valid;
  }

  stats(): Record<LinkDirection, Readonly<LinkCounters> & { queued: number }> {
    return {
      up: { ...this.counters.up, queued: this.lanes.up.queued },
      down: { ...this.counters.down, queued: this.lanes.down.queued },
    };
  }

  /** Drops whatever is in flight (the agent crashed or stopped). */
  close(): void {
    this.lanes.up.clear();
    this.lanes.down.clear();
  }
}

function checked(profile: LinkProfile): LinkProfile {
  const problems = linkProfileProblems(profile);
  if (problems.length > 0) throw new RangeError(`invalid link profile: ${problems.join('; ')}`);
  return { ...profile };
}
