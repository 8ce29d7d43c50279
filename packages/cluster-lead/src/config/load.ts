import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { LeadError, describeError } from '../lib/errors.js';
import { deepFreeze } from '../lib/freeze.js';
import type { UnknownEnvName } from '@mesh30k/shared';
import { envKeys, readEnvOverrides, unknownEnv } from './env.js';
import { LeadConfigSchema, type LeadConfig } from './schema.js';

/** One problem with the configuration: which field, where its value came from, and what is wrong. */
export interface ConfigIssue {
  readonly path: string;
  readonly source: string;
  readonly message: string;
}

export class ConfigError extends LeadError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super('CONFIG_INVALID', issues.map(formatIssue).join('\n'), options);
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return `config ${issue.path || '(root)'}: ${issue.message} (from ${issue.source})`;
}

export interface LoadConfigOptions {
  /** JSON config file; optional when the environment supplies every required key. */
  file?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

/** Reads the file, applies environment overrides, validates once and freezes the result. */
export async function loadConfig(options: LoadConfigOptions): Promise<LeadConfig> {
  const fromFile = options.file === undefined ? {} : await readConfigFile(options.file);
  return parseConfig(fromFile, { fileName: options.file, env: options.env ?? {} });
}

/** Validates raw input (already read) plus environment overrides. Throws ConfigError. */
export function parseConfig(
  raw: unknown,
  options: { fileName?: string | undefined; env: Readonly<Record<string, string | undefined>> },
): LeadConfig {
  const fileSource = options.fileName === undefined ? 'defaults' : `file ${options.fileName}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ path: '', source: fileSource, message: 'must be a JSON object' }]);
  }
  const overrides = readEnvOverrides(envKeys(LeadConfigSchema), options.env);
  const merged = mergeTrees(raw as Record<string, unknown>, overrides.values);
  const parsed = LeadConfigSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => toIssue(issue, overrides.sources, fileSource)), { cause: parsed.error });
  }
  return deepFreeze(parsed.data);
}

/** The MESH_LEAD_* variables of `env` that match no key of the lead's config. */
export function unknownLeadEnv(env: Readonly<Record<string, string | undefined>>): UnknownEnvName[] {
  return unknownEnv(envKeys(LeadConfigSchema), env);
}

async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new LeadError('CONFIG_UNREADABLE', `config file ${file}: ${describeError(cause)}`, { cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ConfigError([{ path: '', source: `file ${file}`, message: `not valid JSON: ${describeError(cause)}` }], { cause });
  }
}

function toIssue(issue: z.core.$ZodIssue, envSources: ReadonlyMap<string, string>, fileSource: string): ConfigIssue {
  const path = issue.path.map(String).join('.');
  // An issue inside a list set by the environment (nats.servers.1) belongs to that variable.
  let source = fileSource;
  for (const [key, variable] of envSources) {
    if (path === key || path.startsWith(`${key}.`)) source = `env ${variable}`;
  }
  return { path, source, message: issue.message };
}

/** Overlays `over` onto `base`: objects merge key by key, anything else replaces. */
function mergeTrees(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeTrees(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
