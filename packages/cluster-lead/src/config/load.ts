import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { LeadError, describeError } from '../lib/errors.js';
import { deepFreeze } from '../lib/freeze.js';
import { applyEnv, envSourceOf, type UnknownEnvName } from '@mesh30k/shared';
import { LEAD_ENV_BINDINGS, LEAD_ENV_NAMING } from './env.js';
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
  const overlay = applyEnv(raw as Record<string, unknown>, options.env, LEAD_ENV_BINDINGS, LEAD_ENV_NAMING);
  const parsed = LeadConfigSchema.safeParse(overlay.document);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => toIssue(issue, overlay.sources, fileSource)), { cause: parsed.error });
  }
  return deepFreeze(parsed.data);
}

/** The MESH_LEAD_* variables of `env` that match no key of the lead's config. */
export function unknownLeadEnv(env: Readonly<Record<string, string | undefined>>): UnknownEnvName[] {
  return [...applyEnv({}, env, LEAD_ENV_BINDINGS, LEAD_ENV_NAMING).unknown];
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
  const path = issue.path.map(String);
  const variable = envSourceOf(envSources, path);
  return { path: path.join('.'), source: variable === undefined ? fileSource : `env ${variable}`, message: issue.message };
}
