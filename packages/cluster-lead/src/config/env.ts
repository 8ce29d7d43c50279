import { unknownEnvNames, type UnknownEnvName } from '@mesh30k/shared';
import { z } from 'zod';

/**
 * Environment overrides derived from the config schema, so a new key gets its variable for
 * free: MESH_LEAD_ + the key's path in upper case, sections joined by a double underscore
 * (keys themselves contain single ones). Examples: MESH_LEAD_LEAD_ID, MESH_LEAD_HTTP__PORT,
 * MESH_LEAD_NATS__SERVERS=nats://a:4222,nats://b:4222 (lists are comma-separated).
 */
export const ENV_PREFIX = 'MESH_LEAD_';
/** MESH_LEAD_ names that are not config keys: the config file's path, and the console's lead URL. */
const NOT_CONFIG_KEYS = [`${ENV_PREFIX}CONFIG`, `${ENV_PREFIX}URL`];
const SECTION_SEPARATOR = '__';

type LeafKind = 'string' | 'number' | 'boolean' | 'list';

export interface EnvKey {
  /** Config path, e.g. ['http', 'port']. */
  readonly path: readonly string[];
  readonly variable: string;
  readonly kind: LeafKind;
}

export interface EnvOverrides {
  /** A partial config tree holding only what the environment set. */
  readonly values: Record<string, unknown>;
  /** Dotted config path -> variable that set it. */
  readonly sources: ReadonlyMap<string, string>;
}

export function envVariable(path: readonly string[]): string {
  return ENV_PREFIX + path.map((part) => part.toUpperCase()).join(SECTION_SEPARATOR);
}

/** Every leaf of the schema that the environment can set. */
export function envKeys(schema: z.ZodType): EnvKey[] {
  const keys: EnvKey[] = [];
  const walk = (node: z.ZodType, path: string[]): void => {
    const inner = unwrap(node);
    if (inner instanceof z.ZodObject) {
      const shape: Record<string, z.ZodType> = inner.shape;
      for (const [key, child] of Object.entries(shape)) walk(child, [...path, key]);
      return;
    }
    const kind = leafKind(inner);
    if (kind !== undefined) keys.push({ path, variable: envVariable(path), kind });
  };
  walk(schema, []);
  return keys;
}

/** Reads the variables of `keys` from `env` into a partial config tree, converted by kind. */
export function readEnvOverrides(keys: readonly EnvKey[], env: Readonly<Record<string, string | undefined>>): EnvOverrides {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const key of keys) {
    const text = env[key.variable];
    if (text === undefined) continue;
    setPath(values, key.path, convert(text, key.kind));
    sources.set(key.path.join('.'), key.variable);
  }
  return { values, sources };
}

/** MESH_LEAD_* variables that set nothing (a typo, or a variable of another program): worth a warning. */
export function unknownEnv(keys: readonly EnvKey[], env: Readonly<Record<string, string | undefined>>): UnknownEnvName[] {
  return unknownEnvNames(env, { prefix: ENV_PREFIX, known: keys.map((key) => key.variable), ignored: NOT_CONFIG_KEYS });
}

function unwrap(node: z.ZodType): z.ZodType {
  let current = node;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault) current = current.unwrap() as z.ZodType;
    else return current;
  }
}

function leafKind(node: z.ZodType): LeafKind | undefined {
  if (node instanceof z.ZodNumber) return 'number';
  if (node instanceof z.ZodBoolean) return 'boolean';
  // A list of objects (api.operators) has no comma-separated form: file only.
  if (node instanceof z.ZodArray) return unwrap(node.element as z.ZodType) instanceof z.ZodObject ? undefined : 'list';
  if (node instanceof z.ZodString || node instanceof z.ZodEnum) return 'string';
  return undefined;
}

/** Converts what clearly is the right type; anything else stays text so the schema names the problem. */
function convert(text: string, kind: LeafKind): unknown {
  switch (kind) {
    case 'string':
      return text;
    case 'number': {
      const trimmed = text.trim();
      const value = Number(trimmed);
      return trimmed !== '' && Number.isFinite(value) ? value : text;
    }
    case 'boolean':
      return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const [index, part] of path.entries()) {
    if (index === path.length - 1) {
      node[part] = value;
      return;
    }
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
}
