import { parseArgs } from 'node:util';
import { attachDashValues } from '@mesh30k/shared/node';
import { LeadError } from '../lib/errors.js';

export type Command = 'run' | 'recover-db' | 'enroll' | 'operator-key' | 'api-token' | 'help';

export interface ParsedArgs {
  command: Command;
  values: Record<string, string | boolean | undefined>;
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  'root-key': { type: 'string' },
  request: { type: 'string' },
  out: { type: 'string', short: 'o' },
  'expires-days': { type: 'string' },
  class: { type: 'string' },
  capabilities: { type: 'string' },
  cluster: { type: 'string' },
  sector: { type: 'string' },
  role: { type: 'string' },
  key: { type: 'string' },
  id: { type: 'string' },
  ttl: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `mesh-lead <command> [options]`; a usage mistake is a LeadError USAGE (exit 64). */
export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: attachDashValues(argv, OPTIONS), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new LeadError('USAGE', cause instanceof Error ? cause.message : String(cause), { cause });
  }
  const [name, ...rest] = parsed.positionals;
  if (rest.length > 0) throw new LeadError('USAGE', `unexpected argument "${rest[0]}"`);
  if (parsed.values.help === true || name === undefined || name === 'help') return { command: 'help', values: parsed.values };
  if (name !== 'run' && name !== 'recover-db' && name !== 'enroll' && name !== 'operator-key' && name !== 'api-token') throw new LeadError('USAGE', `unknown command "${name}"; try mesh-lead --help`);
  return { command: name, values: parsed.values };
}
