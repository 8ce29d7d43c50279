// The link profiles the arrival benchmark runs over. Each entry of `links` is one sim process;
// by default every agent of it has its own emulated link to NATS with that profile (up: agent
// to NATS, down: NATS to agent), as every Pi has its own path. `gateway` puts all of a sim's
// agents behind one shared link instead (one FIFO per direction), as many agents behind one modem.
import type { LinkProfile, LinkProfiles } from '../../harness/index.js';

export interface NetworkProfile {
  name: 'lan' | 'mixed' | 'cellular' | 'asymmetric' | 'gateway';
  description: string;
  links: readonly LinkProfiles[];
  /** |up - down| / 2 of the base delays: the offset error no exchange can detect. */
  halfAsymmetryMs: number;
}

const both = (p: LinkProfile): LinkProfiles => ({ up: p, down: p });

export const NETWORK_PROFILES: readonly NetworkProfile[] = [
  {
    name: 'lan',
    description: 'LAN: 1, 3 and 5 ms one way, 0.5 ms uniform jitter, a link per agent',
    links: [1, 3, 5].map((baseMs) => both({ baseMs, jitterMs: 0.5 })),
    halfAsymmetryMs: 0,
  },
  {
    name: 'mixed',
    description: 'mixed: 5, 40, 120 and 300 ms one way, 10% uniform jitter, a link per agent',
    links: [5, 40, 120, 300].map((baseMs) => both({ baseMs, jitterMs: baseMs / 10 })),
    halfAsymmetryMs: 0,
  },
  {
    name: 'cellular',
    description: 'bad cellular: 300 ms one way, heavy-tailed queueing jitter of 30% (90 ms), 1% loss, a link per agent',
    links: [0, 1].map(() => both({ baseMs: 300, jitterMs: 90, jitter: 'heavy-tail', lossRate: 0.01 })),
    halfAsymmetryMs: 0,
  },
  {
    name: 'asymmetric',
    description: 'asymmetric: 10 ms up, 70 ms down, 1 ms uniform jitter, a link per agent',
    // Three sim processes of the same link, as the other profiles have several: one process of
    // 1,000 agents fell behind on the loaded machine until the lead declared an emergency.
    links: [0, 1, 2].map(() => ({ up: { baseMs: 10, jitterMs: 1 }, down: { baseMs: 70, jitterMs: 1 } })),
    halfAsymmetryMs: 30,
  },
  {
    name: 'gateway',
    description: 'gateway: each sim\'s agents share one link (one FIFO each way), 40 ms one way, heavy-tailed jitter of 12 ms, 0.5% loss',
    links: [0, 1].map(() => ({ ...both({ baseMs: 40, jitterMs: 12, jitter: 'heavy-tail', lossRate: 0.005 }), gateway: true })),
    halfAsymmetryMs: 0,
  },
];

export function profileNamed(name: string): NetworkProfile {
  const found = NETWORK_PROFILES.find((p) => p.name === name);
  if (found === undefined) throw new Error(`unknown profile ${name} (known: ${NETWORK_PROFILES.map((p) => p.name).join(', ')})`);
  return found;
}
