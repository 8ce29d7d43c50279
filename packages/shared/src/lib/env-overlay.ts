/**
 * Environment overrides derived from a config schema rather than listed by hand, the one way
 * every runtime reads its settings from the environment: each leaf key gets a variable named
 * prefix + its path in upper case, parts joined by the runtime's separator. A value that does
 * not convert to the key's type is passed on as text, so the schema refuses it with the same
 * words it uses for the file. An empty variable counts as unset, so `Environment=NAME=` in a
 * systemd drop-in clears an earlier override. Pure: the environment is passed in.
 */
import { z } from 'zod';
import { unknownEnvNames, type UnknownEnvName } from './env-names.js';

export type EnvKind = 'string' | 'number' | 'boolean' | 'list' | 'json';

export interface EnvBinding {
  /** The variable, e.g. MESH_LEAD_HTTP__PORT. */
  readonly name: string;
  /** The config path it sets, e.g. ['http', 'port']. */
  readonly path: readonly string[];
  readonly kind: EnvKind;
}

export interface EnvNaming {
  /** Every variable starts with it (MESH_, MESH_LEAD_). */
  readonly prefix: string;
  /** Joins the parts of a path (`_`, or `__` where keys contain underscores themselves). */
  readonly separator: string;
  /** Prefixed names that are not config keys (a config file's path, a console's URL). */
  readonly ignored?: readonly string[];
}

export interface EnvOverlay {
  /** The file's document with the overrides applied (the input is not modified). */
  readonly document: Record<string, unknown>;
  /** Dotted path -> the variable that set it (also for objects an override had to create). */
  readonly sources: ReadonlyMap<string, string>;
  /** The variables that were applied, in schema order. */
  readonly applied: readonly string[];
  /** Prefixed variables that match no key (likely typos), each with the name it probably meant. */
  readonly unknown: readonly UnknownEnvName[];
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

type AnySchema = z.core.$ZodType;

/** Every variable the schema accepts, in schema order. Throws for a key no text can express. */
export function envBindings(schema: z.ZodObject, naming: EnvNaming): EnvBinding[] {
  const bindings: EnvBinding[] = [];
  const walk = (object: z.ZodObject, prefix: readonly string[]): void => {
    for (const [key, field] of Object.entries(object.shape)) {
      const path = [...prefix, key];
      const inner = unwrap(field as AnySchema);
      if (inner instanceof z.ZodObject) {
        walk(inner, path);
        continue;
      }
      const kind = kindOf(inner);
      if (kind === undefined) throw new Error(`config key ${path.join('.')} has a type the environment cannot express`);
      bindings.push({ name: naming.prefix + path.map((part) => part.toUpperCase()).join(naming.separator), path, kind });
    }
  };
  walk(schema, []);
  const seen = new Map<string, string>();
  for (const binding of bindings) {
    const other = seen.get(binding.name);
    if (other !== undefined) throw new Error(`config keys ${other} and ${binding.path.join('.')} would share the variable ${binding.name}`);
    seen.set(binding.name, binding.path.join('.'));
  }
  return bindings;
}

/** Overlays the variables of `bindings` found in `env` onto `document`. */
export function applyEnv(
  document: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  bindings: readonly EnvBinding[],
  naming: EnvNaming,
): EnvOverlay {
  const result = structuredClone(document) as Record<string, unknown>;
  const sources = new Map<string, string>();
  const applied: string[] = [];
  for (const binding of bindings) {
    const text = env[binding.name];
    if (text === undefined || text === '') continue;
    let target = result;
    for (let depth = 0; depth < binding.path.length - 1; depth += 1) {
      const key = binding.path[depth] as string;
      if (!isPlainObject(target[key])) {
        // The file has no such object (or a wrong value there): the variable creates it.
        target[key] = {};
        sources.set(binding.path.slice(0, depth + 1).join('.'), binding.name);
      }
      target = target[key] as Record<string, unknown>;
    }
    target[binding.path[binding.path.length - 1] as string] = convert(text, binding.kind);
    sources.set(binding.path.join('.'), binding.name);
    applied.push(binding.name);
  }
  const unknown = unknownEnvNames(env, { prefix: naming.prefix, known: bindings.map((binding) => binding.name), ignored: naming.ignored ?? [] });
  return { document: result, sources, applied, unknown };
}

/**
 * The variable that set `path` or the nearest object holding it, if any: where a config issue
 * came from (an issue at nats.servers.1 belongs to the variable that set nats.servers).
 */
export function envSourceOf(sources: ReadonlyMap<string, string>, path: readonly string[]): string | undefined {
  for (let length = path.length; length > 0; length -= 1) {
    const variable = sources.get(path.slice(0, length).join('.'));
    if (variable !== undefined) return variable;
  }
  return undefined;
}

/** Strips default, prefault, optional and nullable wrappers down to the schema that validates. */
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodOptional || current instanceof z.ZodNullable) {
      current = current.unwrap();
    } else {
      return current;
    }
  }
}

function kindOf(schema: AnySchema): EnvKind | undefined {
  if (schema instanceof z.ZodString || schema instanceof z.ZodEnum || schema instanceof z.ZodLiteral) return 'string';
  if (schema instanceof z.ZodNumber) return 'number';
  if (schema instanceof z.ZodBoolean) return 'boolean';
  if (schema instanceof z.ZodArray) {
    const element = unwrap(schema.element);
    if (element instanceof z.ZodString || element instanceof z.ZodEnum) return 'list';
    // A list of objects (sensor devices, API operators) is given as a JSON array.
    return element instanceof z.ZodObject || element instanceof z.ZodDiscriminatedUnion ? 'json' : undefined;
  }
  if (schema instanceof z.ZodRecord) return 'json';
  return undefined;
}

/** Converts what clearly has the key's type; anything else stays text for the schema to refuse. */
function convert(text: string, kind: EnvKind): unknown {
  switch (kind) {
    case 'string':
      return text;
    case 'number': {
      const trimmed = text.trim();
      const value = Number(trimmed);
      return trimmed !== '' && Number.isFinite(value) ? value : text;
    }
    case 'boolean': {
      const word = text.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      return text;
    }
    case 'json':
      // Text that is not JSON goes on as text: the schema then says what it expected there.
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
