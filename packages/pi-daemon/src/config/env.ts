/**
 * Environment overrides, derived from the schema rather than listed by hand: every leaf key
 * gets `MESH_` + its path in upper case joined by `_` (nats.servers -> MESH_NATS_SERVERS).
 * Numbers and booleans are converted; arrays are comma-separated lists. An empty variable
 * counts as unset, so `Environment=MESH_X=` in a drop-in clears an earlier override. A value
 * that does not convert is passed on as text, so the schema judges it exactly as it judges
 * the same value in the file (one message for both: "must be a number, got "soon"").
 */
import { unknownEnvNames, type UnknownEnvName } from '@mesh30k/shared';
import { z } from 'zod';

export const ENV_PREFIX = 'MESH_';
/** Names the config file; not a config key. */
export const CONFIG_PATH_ENV = 'MESH_AGENT_CONFIG';

export type EnvKind = 'string' | 'number' | 'boolean' | 'list';

export interface EnvBinding {
  name: string;
  path: readonly string[];
  kind: EnvKind;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

type AnySchema = z.core.$ZodType;

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
  if (schema instanceof z.ZodString || schema instanceof z.ZodEnum) return 'string';
  if (schema instanceof z.ZodNumber) return 'number';
  if (schema instanceof z.ZodBoolean) return 'boolean';
  if (schema instanceof z.ZodArray) {
    const element = unwrap(schema.element);
    return element instanceof z.ZodString || element instanceof z.ZodEnum ? 'list' : undefined;
  }
  return undefined;
}

/** Every environment variable the schema accepts, in schema order. */
export function envBindings(schema: z.ZodObject, prefix: readonly string[] = []): EnvBinding[] {
  const bindings: EnvBinding[] = [];
  for (const [key, field] of Object.entries(schema.shape)) {
    const path = [...prefix, key];
    const inner = unwrap(field as AnySchema);
    if (inner instanceof z.ZodObject) {
      bindings.push(...envBindings(inner, path));
      continue;
    }
    const kind = kindOf(inner);
    if (kind === undefined) throw new Error(`config key ${path.join('.')} has a type the environment cannot express`);
    bindings.push({ name: ENV_PREFIX + path.join('_').toUpperCase(), path, kind });
  }
  return bindings;
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
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
  }
}

export interface EnvOverlay {
  /** The file's document with the overrides applied (the input is not modified). */
  document: Record<string, unknown>;
  /** Dotted path -> the variable that set it (also for objects an override had to create). */
  sources: Map<string, string>;
  /** The variables that were applied, in schema order. */
  applied: string[];
  /** MESH_* variables that match no key (likely typos), with the key each was probably meant as. */
  unknown: UnknownEnvName[];
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function applyEnv(
  document: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  bindings: readonly EnvBinding[],
): EnvOverlay {
  const result = structuredClone(document);
  const sources = new Map<string, string>();
  const applied: string[] = [];
  for (const binding of bindings) {
    const text = env[binding.name];
    if (text === undefined || text === '') continue;
    const dotted = binding.path.join('.');
    let target = result;
    for (let depth = 0; depth < binding.path.length - 1; depth += 1) {
      const key = binding.path[depth] as string;
      const next = target[key];
      if (!isPlainObject(next)) {
        // The file has no such object (or a wrong value there): the variable creates it.
        target[key] = {};
        sources.set(binding.path.slice(0, depth + 1).join('.'), binding.name);
      }
      target = target[key] as Record<string, unknown>;
    }
    target[binding.path[binding.path.length - 1] as string] = convert(text, binding.kind);
    sources.set(dotted, binding.name);
    applied.push(binding.name);
  }
  const unknown = unknownEnvNames(env, { prefix: ENV_PREFIX, known: bindings.map((b) => b.name), ignored: [CONFIG_PATH_ENV] });
  return { document: result, sources, applied, unknown };
}
