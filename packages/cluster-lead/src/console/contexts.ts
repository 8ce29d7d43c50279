/**
 * Named console contexts (like `nats context`): a lead URL and the credentials to use with it,
 * kept in $XDG_CONFIG_HOME/mesh/contexts.json (else ~/.config/mesh/contexts.json), mode 0600
 * in a 0700 directory. The selected one fills whatever flags and MESH_* variables leave unset.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConsoleError } from './exit-codes.js';

const Name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');

export const MeshContext = z.strictObject({
  lead: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  operator: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  /** Absolute path of the operator's private key file. */
  key: z.string().min(1).max(4096).optional(),
  token: z.string().startsWith('mt1.').optional(),
  /** Absolute path of the CA or certificate file the lead's HTTPS certificate is checked with. */
  ca: z.string().min(1).max(4096).optional(),
  /** SHA-256 fingerprint the lead's certificate is pinned to. */
  fingerprint: z.string().regex(/^(sha256[:=])?[0-9A-Fa-f:]{64,95}$/, 'must be a SHA-256 fingerprint (64 hex digits, colons allowed)').optional(),
  description: z.string().max(200).optional(),
});
export type MeshContext = z.infer<typeof MeshContext>;

const ContextFile = z.strictObject({
  current: Name.optional(),
  contexts: z.record(Name, MeshContext).default({}),
});
type ContextFile = z.infer<typeof ContextFile>;

type Env = Readonly<Record<string, string | undefined>>;

/** Undefined when the environment names no home (nor XDG_CONFIG_HOME): then there are no contexts. */
export function contextsPath(env: Env): string | undefined {
  if (env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '') return join(env.XDG_CONFIG_HOME, 'mesh', 'contexts.json');
  if (env.HOME !== undefined && env.HOME !== '') return join(env.HOME, '.config', 'mesh', 'contexts.json');
  return undefined;
}

function requiredPath(env: Env): string {
  const path = contextsPath(env);
  if (path === undefined) throw new ConsoleError('USAGE', 'contexts live under $XDG_CONFIG_HOME/mesh or $HOME/.config/mesh: set HOME or XDG_CONFIG_HOME');
  return path;
}

export function readContexts(env: Env): ContextFile {
  const path = contextsPath(env);
  if (path === undefined) return { contexts: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} };
    throw new ConsoleError('USAGE', `${path}: ${(error as Error).message}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConsoleError('USAGE', `${path}: not JSON; fix or remove it`, { cause: error });
  }
  const parsed = ContextFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConsoleError('USAGE', `${path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function writeContexts(env: Env, file: ContextFile): string {
  const path = requiredPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
  return path;
}

/** The context to use: --context, then MESH_CONTEXT, then the current one; undefined when none is set. */
export function selectedContext(env: Env, name: string | undefined): { name: string; context: MeshContext } | undefined {
  const wanted = name ?? (env.MESH_CONTEXT === '' ? undefined : env.MESH_CONTEXT);
  const file = readContexts(env);
  const chosen = wanted ?? file.current;
  if (chosen === undefined) return undefined;
  const context = file.contexts[chosen];
  if (context === undefined) {
    throw new ConsoleError('USAGE', `context "${chosen}" does not exist (${name !== undefined ? '--context' : wanted !== undefined ? 'MESH_CONTEXT' : `current in ${contextsPath(env) ?? 'contexts.json'}`}); mesh context list shows them`);
  }
  return { name: chosen, context };
}

export function checkName(name: string | undefined): string {
  const parsed = Name.safeParse(name);
  if (!parsed.success) throw new ConsoleError('USAGE', `context name: ${parsed.error.issues[0]?.message ?? 'missing'} (mesh context add NAME --lead URL ...)`);
  return parsed.data;
}

export function checkContext(value: unknown): MeshContext {
  const parsed = MeshContext.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConsoleError('USAGE', `--${String(issue?.path[0] ?? 'lead')}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** A key path as given on the command line, made absolute so the context works from any directory. */
export function absoluteKeyPath(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}
