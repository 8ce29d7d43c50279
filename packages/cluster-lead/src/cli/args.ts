import { parseArgs } from 'node:util';
import { attachDashValues } from '@mesh30k/shared/node';
import { LeadError } from '../lib/errors.js';

export type Command = 'run' | 'init' | 'recover-db' | 'enroll' | 'operator-key' | 'api-token' | 'help' | 'version';

export interface ParsedArgs {
  command: Command;
  values: Record<string, string | boolean | undefined>;
  /** The command's own positional argument (init's directory). */
  target?: string | undefined;
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
  force: { type: 'boolean' },
  'lead-id': { type: 'string' },
  operator: { type: 'string' },
  http: { type: 'string' },
  nats: { type: 'string' },
  'data-dir': { type: 'string' },
  'leaf-port': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'api-cert': { type: 'string' },
  'api-key': { type: 'string' },
  'api-names': { type: 'string' },
  'plain-http': { type: 'boolean' },
  'root-key-out': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
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
  if (parsed.values.version === true || name === 'version') return { command: 'version', values: parsed.values };
  if (parsed.values.help === true || name === undefined || name === 'help') return { command: 'help', values: parsed.values };
  if (name !== 'run' && name !== 'init' && name !== 'recover-db' && name !== 'enroll' && name !== 'operator-key' && name !== 'api-token') throw new LeadError('USAGE', `unknown command "${name}"; try mesh-lead --help`);
  const [target, ...extra] = name === 'init' ? rest : [undefined, ...rest];
  if (extra.length > 0) throw new LeadError('USAGE', `unexpected argument "${extra[0]}"`);
  return { command: name, values: parsed.values, target };
}
