// How a sim process reaches NATS for one link profile: per agent (the default, each virtual
// agent has its own emulated link inside the sim, as every Pi has its own path) or through one
// shared TCP link emulator (`gateway`: many agents behind one modem).
import type { ChunkTap } from './delay-pipe.js';
import { startLink, type Link } from './link-emulator.js';
import type { LinkProfile } from './link-profile.js';

export interface LinkProfiles {
  up: LinkProfile;
  down: LinkProfile;
  /** True: every agent of the sim shares one emulated link (one FIFO per direction), as behind one gateway. */
  gateway?: boolean;
}

export interface SimLink {
  /** Where the sim connects. */
  natsUrl: string;
  /** The sim spec's `link` section: per-agent links, absent for a gateway or no profile. */
  spec: { link?: { up: LinkProfile; down: LinkProfile } };
  /** The gateway's emulator, to close with the mesh. */
  gateway: Link | undefined;
}

/** `tapUp`: told of every chunk the gateway's uplink lets go (gateways only). */
export async function simLink(profile: LinkProfiles | undefined, nats: { host: string; port: number; url: string }, seed: number, tapUp?: ChunkTap): Promise<SimLink> {
  if (profile === undefined) return { natsUrl: nats.url, spec: {}, gateway: undefined };
  if (profile.gateway !== true) return { natsUrl: nats.url, spec: { link: { up: profile.up, down: profile.down } }, gateway: undefined };
  const link = await startLink({ target: { host: nats.host, port: nats.port }, up: profile.up, down: profile.down, seed, ...(tapUp === undefined ? {} : { tapUp }) });
  return { natsUrl: link.url('nats'), spec: {}, gateway: link };
}
