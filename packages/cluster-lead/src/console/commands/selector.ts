/** The flags that pick agents for broadcast and ask, turned into the API's selector. */
import { z } from 'zod';
import { ConsoleError } from '../exit-codes.js';
import type { CommandContext } from '../context.js';
import { check } from '../options.js';

export const SELECTOR_FLAGS = {
  cluster: { type: 'string' },
  sector: { type: 'string' },
  class: { type: 'string' },
  capability: { type: 'string' },
  agents: { type: 'string' },
} as const;

const Id = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be an id (letters, digits, _ . : -)');
const Ids = z.array(Id).min(1, 'must list at least one agent id').max(10_000, 'at most 10,000 agent ids');
const AgentClass = z.enum(['A', 'B', 'C', 'D', 'E', 'F'], { error: 'must be a class letter A-F' });

export type Selector = Partial<{ agent_ids: string[]; capability: string; agent_class: string; cluster_id: string; sector_id: string; all: boolean }>;

/** No selector flag means every agent. */
export function selectorFrom(ctx: CommandContext): Selector {
  const v = ctx.args.values;
  const s: Selector = {};
  if (typeof v.cluster === 'string') s.cluster_id = check(Id, v.cluster, 'cluster');
  if (typeof v.sector === 'string') s.sector_id = check(Id, v.sector, 'sector');
  if (typeof v.class === 'string') s.agent_class = check(AgentClass, v.class.toUpperCase(), 'class');
  if (typeof v.capability === 'string') s.capability = check(z.string().min(1).max(64), v.capability, 'capability');
  if (typeof v.agents === 'string') s.agent_ids = check(Ids, v.agents.split(',').map((a) => a.trim()).filter(Boolean), 'agents');
  return Object.keys(s).length === 0 ? { all: true } : s;
}

const PRIORITY_MESSAGE = 'must be a whole number from 0 to 5';
/** The API's operation priority range (docs/api.md). */
export const Priority = z.coerce.number({ error: PRIORITY_MESSAGE }).int(PRIORITY_MESSAGE).min(0, PRIORITY_MESSAGE).max(5, PRIORITY_MESSAGE);

/** The one positional text argument (message, question, task), joined if unquoted. */
export function textArgument(ctx: CommandContext, what: string): string {
  const text = ctx.args.positionals.join(' ').trim();
  if (text === '') throw new ConsoleError('USAGE', `${what}: missing; give it as an argument`);
  return text;
}
