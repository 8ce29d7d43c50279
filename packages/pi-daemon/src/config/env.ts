/**
 * Environment overrides, derived from the schema rather than listed by hand: every leaf key
 * gets `MESH_` + its path in upper case joined by `_` (nats.servers -> MESH_NATS_SERVERS).
 * Numbers and booleans are converted; arrays are comma-separated lists, lists of objects JSON. An empty variable
 * counts as unset, so `Environment=MESH_X=` in a drop-in clears an earlier override.
 */
import { z } from 'zod';
import type { ConfigIssue } from './errors.js';

export const ENV_PREFIX = 'MESH_';
/** Names the config file; not a config key. */
export const CONFIG_PATH_ENV = 'MESH_AGENT_CONFIG';

export type EnvKind = 'string' | 'number' | 'boolean' | 'list' | 'json';

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
    if (element instanceof z.ZodString || element instanceof z.ZodEnum) return 'list';
    // A list of objects (sensors.devices) is given as a JSON array.
    return element instanceof z.ZodObject || element instanceof z.ZodDiscriminatedUnion ? 'json' : undefined;
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

type Converted = { ok: true; value: unknown } | { ok: false; message: string };

function convert(text: string, kind: EnvKind): Converted {
  switch (kind) {
    case 'string':
      return { ok: true, value: text };
    case 'number': {
      const value = Number(text.trim());
      return Number.isFinite(value) ? { ok: true, value } : { ok: false, message: `must be a number, got ${JSON.stringify(text)}` };
    }
    case 'boolean': {
      const word = text.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return { ok: true, value: true };
      if (FALSE_WORDS.has(word)) return { ok: true, value: false };
      return { ok: false, message: `must be true or false, got ${JSON.stringify(text)}` };
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch {
        return { ok: false, message: `must be JSON, got ${JSON.stringify(text.slice(0, 40))}` };
      }
    case 'list':
      return {
        ok: true,
        value: text
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
      };
  }
}

export interface EnvOverlay {
  /** The file's document with the overrides applied (the input is not modified). */
  document: Record<string, unknown>;
  /** Dotted path -> the variable that set it (also for objects an override had to create). */
  sources: Map<string, string>;
  /** The variables that were applied, in schema order. */
  applied: string[];
  issues: ConfigIssue[];
  /** MESH_* variables that match no key (likely typos). */
  unknown: string[];
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
  const issues: ConfigIssue[] = [];
  for (const binding of bindings) {
    const text = env[binding.name];
    if (text === undefined || text === '') continue;
    const converted = convert(text, binding.kind);
    const dotted = binding.path.join('.');
    if (!converted.ok) {
      issues.push({ source: `env ${binding.name}`, path: dotted, message: converted.message });
      continue;
    }
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
    target[binding.path[binding.path.length - 1] as string] = converted.value;
    sources.set(dotted, binding.name);
    applied.push(binding.name);
  }
  const known = new Set([CONFIG_PATH_ENV, ...bindings.map((b) => b.name)]);
  const unknown = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && !known.has(name))
    .sort();
  return { document: result, sources, applied, issues, unknown };
}
