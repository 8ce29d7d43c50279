/**
 * Reads the config file, applies environment overrides, validates once and freezes. Every
 * problem names its field and where the value came from; all of them are reported together.
 */
import { readFileSync, statSync } from 'node:fs';
import { applyEnv, envSourceOf, type UnknownEnvName } from '@mesh30k/shared';
import type { z } from 'zod';
import { AGENT_ENV_BINDINGS, AGENT_ENV_NAMING, CONFIG_PATH_ENV } from './env.js';
import { ConfigError } from './errors.js';
import type { ConfigIssue } from './errors.js';
import { AgentConfigSchema, DEFAULT_CONFIG_PATH } from './schema.js';
import type { AgentConfig } from './schema.js';

/** A config file is a few kilobytes; anything far larger is the wrong file. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export interface LoadConfigOptions {
  /** From --config; wins over MESH_AGENT_CONFIG, which wins over DEFAULT_CONFIG_PATH. */
  path?: string;
  env: Readonly<Record<string, string | undefined>>;
}

export interface LoadedConfig {
  config: AgentConfig;
  path: string;
  /** The MESH_* variables that overrode the file, for the start-up log line. */
  envOverrides: readonly string[];
  /** MESH_* variables that match no key: probably misspelt, worth a warning. */
  unknownEnv: readonly UnknownEnvName[];
}

export function resolveConfigPath(options: LoadConfigOptions): string {
  if (options.path !== undefined && options.path !== '') return options.path;
  const fromEnv = options.env[CONFIG_PATH_ENV];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_CONFIG_PATH;
}

/** Loads and validates the configuration; throws ConfigError (exit with its exitCode). */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const path = resolveConfigPath(options);
  const document = readDocument(path);
  const overlay = applyEnv(document, options.env, AGENT_ENV_BINDINGS, AGENT_ENV_NAMING);
  // reportInput: an issue then carries the value it is about, so "missing" and "wrong type" differ.
  const parsed = AgentConfigSchema.safeParse(overlay.document, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError('CONFIG_INVALID', toIssues(parsed.error, path, overlay.sources), { cause: parsed.error });
  }
  return {
    config: deepFreeze(parsed.data),
    path,
    envOverrides: Object.freeze(overlay.applied),
    unknownEnv: Object.freeze(overlay.unknown),
  };
}

function readDocument(path: string): Record<string, unknown> {
  let text: string;
  try {
    const info = statSync(path);
    if (!info.isFile()) throw new ConfigError('CONFIG_UNREADABLE', [{ source: path, path: '', message: 'is not a regular file' }]);
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigError('CONFIG_UNREADABLE', [{ source: path, path: '', message: `is ${info.size} bytes, too large for a config file` }]);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = errnoCode(error);
    if (code === 'ENOENT') {
      const hint = `no such file (give another with --config or ${CONFIG_PATH_ENV})`;
      throw new ConfigError('CONFIG_NOT_FOUND', [{ source: path, path: '', message: hint }], { cause: error });
    }
    throw new ConfigError('CONFIG_UNREADABLE', [{ source: path, path: '', message: `cannot read: ${describe(error)}` }], { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('CONFIG_NOT_JSON', [{ source: path, path: '', message: `is not valid JSON: ${describe(error)}` }], { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError('CONFIG_NOT_JSON', [{ source: path, path: '', message: 'must be a JSON object' }]);
  }
  return json as Record<string, unknown>;
}

/** Attributes each issue to the variable that set its field (or an enclosing object), else the file. */
function toIssues(error: z.ZodError, filePath: string, sources: ReadonlyMap<string, string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    // An unknown key is reported at its own path, not its parent's.
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...base, key]) : [base];
    const message = issue.code === 'unrecognized_keys' ? 'unknown key' : friendlyMessage(issue);
    for (const path of paths) {
      issues.push({ source: sourceOf(path, filePath, sources), path: path.join('.'), message });
    }
  }
  return issues;
}

function sourceOf(path: readonly string[], filePath: string, sources: ReadonlyMap<string, string>): string {
  const variable = envSourceOf(sources, path);
  return variable === undefined ? filePath : `env ${variable}`;
}

/** Longest value quoted back in a message: enough to recognise it, short enough for one line. */
const MAX_QUOTED_CHARS = 40;

/** The same words whether the value came from the file or from a variable. */
function friendlyMessage(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_type') return issue.message;
  if (issue.input === undefined) return 'is required';
  const expected = EXPECTED_WORDS[issue.expected] ?? `must be of type ${issue.expected}`;
  return `${expected}, got ${quoted(issue.input)}`;
}

const EXPECTED_WORDS: Readonly<Record<string, string>> = {
  number: 'must be a number',
  int: 'must be a whole number',
  boolean: 'must be true or false',
  string: 'must be text',
  array: 'must be a list',
  object: 'must be an object',
};

function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}...` : text;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function errnoCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
