/**
 * Global options (--lead, credentials, --json...) and each command's own flags, parsed with
 * node:util parseArgs in strict mode and checked with zod; every mistake names its flag.
 */
import { parseArgs } from 'node:util';
import { attachDashValues, type FlagTable } from '@mesh30k/shared/node';
import { z } from 'zod';
import type { Credentials } from './auth.js';
import type { MeshContext } from './contexts.js';
import type { LeadTrust } from './lead-fetch.js';
import { ConsoleError } from './exit-codes.js';

/** The lead config's default http.port (src/config/schema.ts). */
export const DEFAULT_LEAD_URL = 'https://127.0.0.1:8470';

export type FlagSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };
export type Flags = Readonly<Record<string, FlagSpec>>;

export const GLOBAL_FLAGS = {
  lead: { type: 'string' },
  key: { type: 'string' },
  operator: { type: 'string' },
  token: { type: 'string' },
  context: { type: 'string' },
  ca: { type: 'string' },
  fingerprint: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Flags;

export interface GlobalOptions {
  leadUrl: string;
  /** Where leadUrl came from, for error messages: a flag, a variable, a context or the default. */
  leadFrom: string;
  credentials: Credentials;
  /** How the lead's HTTPS certificate is trusted (lead-fetch.ts); empty: the system's CAs. */
  trust: LeadTrust;
  json: boolean;
  timeoutMs: number;
  noColor: boolean;
  help: boolean;
}

const LeadUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const OperatorId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -');
const Token = z.string().startsWith('mt1.', 'must be a token made by `mesh-lead api-token` (mt1.…)');

/** Checks one flag's value with a zod schema; a failure names the flag. */
export function check<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  return checkNamed(schema, value, `--${flag}`);
}

function checkNamed<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ConsoleError('USAGE', `${name}: ${parsed.error.issues[0]?.message ?? 'invalid value'}`);
}

/** An integer flag in [min, max], or undefined when absent. */
export function intFlag(value: unknown, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  return check(z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`), value, flag);
}

export interface SplitArgs {
  command: string | undefined;
  rest: string[];
}

/** Finds the command word: the first argument that is neither a flag nor a global flag's value. */
export function splitCommand(argv: readonly string[]): SplitArgs {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    if (!token.startsWith('-')) return { command: token, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    const name = token.replace(/^--?/, '');
    const spec = (GLOBAL_FLAGS as Flags)[name];
    if (spec?.type === 'string') i++;
  }
  return { command: undefined, rest: [...argv] };
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses global and command flags together, so either may come before or after the command. */
export function parseFlags(argv: readonly string[], commandFlags: Flags): ParsedArgs {
  const options = { ...GLOBAL_FLAGS, ...commandFlags };
  try {
    const { values, positionals } = parseArgs({
      args: attachDashValues(argv, options as FlagTable),
      options,
      strict: true,
      allowPositionals: true,
    });
    return { values, positionals };
  } catch (error) {
    // parseArgs' messages name the flag ("Unknown option '--x'"); keep that first sentence only.
    const message = error instanceof Error ? error.message.split(/\.\s|\n/)[0]! : String(error);
    throw new ConsoleError('USAGE', message, { cause: error });
  }
}

/**
 * Flags first, then MESH_* variables, then the selected context (`mesh context`), then defaults.
 * `context` is the selected one, already read.
 */
export function globalOptions(values: ParsedArgs['values'], env: Readonly<Record<string, string | undefined>>, context?: { name: string; context: MeshContext }): GlobalOptions {
  const str = (name: string) => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const fromEnv = (variable: string) => (env[variable] === '' ? undefined : env[variable]);
  const envOr = (flag: string, variable: string) => str(flag) ?? fromEnv(variable);
  const ctx = context?.context;
  // A bad value is reported under the name it was given by: the flag, the variable or the context.
  const nameOf = (flag: string, variable: string) => (str(flag) !== undefined ? `--${flag}` : fromEnv(variable) !== undefined ? variable : `context ${context?.name ?? ''}`);
  const leadGiven = envOr('lead', 'MESH_LEAD_URL') ?? ctx?.lead;
  const leadUrl = checkNamed(LeadUrl, leadGiven ?? DEFAULT_LEAD_URL, nameOf('lead', 'MESH_LEAD_URL')).replace(/\/+$/, '');
  const leadFrom = leadGiven === undefined ? 'the default' : nameOf('lead', 'MESH_LEAD_URL');
  // A context's credentials come as one set: a flag or variable for either kind replaces them all.
  const ownCredentials = ['token', 'key', 'operator'].some((f) => str(f) !== undefined) || ['MESH_TOKEN', 'MESH_OPERATOR_KEY', 'MESH_OPERATOR_ID'].some((v) => fromEnv(v) !== undefined);
  const fallback = ownCredentials ? undefined : ctx;
  const token = envOr('token', 'MESH_TOKEN') ?? fallback?.token;
  const keyFile = envOr('key', 'MESH_OPERATOR_KEY') ?? fallback?.key;
  const operatorId = envOr('operator', 'MESH_OPERATOR_ID') ?? fallback?.operator;
  let credentials: Credentials = { kind: 'none' };
  // An explicit --key wins over a token from the environment, and the reverse.
  if (str('key') !== undefined || (keyFile !== undefined && str('token') === undefined)) {
    if (operatorId === undefined) throw new ConsoleError('USAGE', '--operator: required with --key (or set MESH_OPERATOR_ID)');
    credentials = { kind: 'key', keyFile: keyFile!, operatorId: checkNamed(OperatorId, operatorId, nameOf('operator', 'MESH_OPERATOR_ID')) };
  } else if (token !== undefined) {
    credentials = { kind: 'token', token: checkNamed(Token, token, nameOf('token', 'MESH_TOKEN')) };
  }
  // Trust goes with the lead it was given for: a context's only when the lead is the context's.
  const leadFromContext = envOr('lead', 'MESH_LEAD_URL') === undefined;
  const caFile = envOr('ca', 'MESH_LEAD_CA') ?? (leadFromContext ? ctx?.ca : undefined);
  const fingerprint = envOr('fingerprint', 'MESH_LEAD_FINGERPRINT') ?? (leadFromContext ? ctx?.fingerprint : undefined);
  return {
    leadUrl,
    leadFrom,
    credentials,
    trust: { ...(caFile === undefined ? {} : { caFile }), ...(fingerprint === undefined ? {} : { fingerprint }) },
    json: values.json === true,
    timeoutMs: (intFlag(str('timeout'), 'timeout', 1, 600) ?? 10) * 1000,
    noColor: values['no-color'] === true,
    help: values.help === true,
  };
}
