// The demo's command line: parsed once with node:util, validated with one zod schema, every
// problem reported as one line naming the option.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LINK_SETS, type LinkSetName } from './link-sets.js';

const PROFILE_NAMES = Object.keys(LINK_SETS) as [LinkSetName, ...LinkSetName[]];

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const seconds = (min: number, max: number) => z.coerce.number().min(min).max(max);

export const DemoOptions = z.strictObject({
  agents: int(10, 2_000).default(300),
  profile: z.enum(PROFILE_NAMES).default('mixed'),
  interval: seconds(1, 600).default(3),
  duration: seconds(1, 86_400).optional(),
  seed: int(0, 0xffffffff).default(1),
  workers: int(0, 8).default(2),
  /** Failover instead of cascades: a three-node NATS cluster and two leads for one cluster. */
  ha: z.boolean().optional(),
});
export type DemoOptions = z.infer<typeof DemoOptions>;

export const USAGE = `Usage: npm start -- [options]

Starts a whole MESH-30K mesh on this machine (a private nats-server, a root lead with two
child leads, simulated agents of classes A-E behind emulated links, edge Workers in workerd)
and runs a scatter-gather cascade from the root every few seconds, rotating the release
modes hold, lead and none (naive), while the terminal shows the status box and the arrival
error of the last cascade of each mode. Ctrl-C stops every process it started.

Options:
  --agents N       simulated agents, split over the child leads (default 300)
  --profile NAME   link emulation: ${PROFILE_NAMES.join(', ')} (default mixed)
  --interval S     seconds between cascades (default 3)
  --duration S     run this long, print a JSON summary, exit 0 (default: until Ctrl-C)
  --seed N         seed of the fleet, clocks and links (default 1)
  --workers N      edge Workers in workerd (default 2)
  --ha             failover instead: a three-node NATS cluster with JetStream, two leads for
                   one cluster (each its own key; one active, one standby) and an agent
                   heartbeating; press k to kill the active lead and watch the standby take
                   over (s: another standby, q: quit); --duration applies, the other options
                   do not
  -h, --help       show this help`;

export type ParsedCommandLine = { kind: 'help' } | { kind: 'run'; options: DemoOptions } | { kind: 'error'; message: string };

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        agents: { type: 'string' },
        profile: { type: 'string' },
        interval: { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string' },
        workers: { type: 'string' },
        ha: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help === true) return { kind: 'help' };
  const { help: _help, ...rest } = values;
  const parsed = DemoOptions.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'error', message: `--${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}` };
  }
  return { kind: 'run', options: parsed.data };
}
