/**
 * For the property tests: fast-check arbitraries of documents valid against a JSON Schema of
 * the subset the OpenAPI document uses (type, enum, const, anyOf, properties/required,
 * pattern, min/max lengths and bounds, maxItems, format uri, $ref to components), and the
 * ways to break one field of such a document. Not part of the lead.
 */
import fc, { type Arbitrary } from 'fast-check';

export type JsonSchema = Readonly<Record<string, unknown>>;

/** Small on purpose: enough variety to find a mismatch, few enough to run quickly. */
const MAX_ITEMS = 4;
const INT32 = 2 ** 31 - 1;

export class SchemaArbitraries {
  constructor(private readonly components: Readonly<Record<string, JsonSchema>>) {}

  resolve(schema: JsonSchema): JsonSchema {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    const target = this.components[ref.replace('#/components/schemas/', '')];
    if (target === undefined) throw new Error(`unknown $ref ${ref}`);
    return this.resolve(target);
  }

  /** Documents valid against `schema`. */
  valid(input: JsonSchema): Arbitrary<unknown> {
    const schema = this.resolve(input);
    if (Array.isArray(schema.anyOf)) return fc.oneof(...(schema.anyOf as JsonSchema[]).map((branch) => this.valid(branch)));
    if (schema.const !== undefined) return fc.constant(schema.const);
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
    switch (schema.type) {
      case 'object':
        return this.object(schema);
      case 'array':
        return fc.array(this.valid((schema.items ?? {}) as JsonSchema), { minLength: num(schema.minItems) ?? 0, maxLength: Math.min(num(schema.maxItems) ?? MAX_ITEMS, MAX_ITEMS) });
      case 'string':
        return string(schema);
      case 'integer':
      case 'number':
        return number(schema);
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case undefined:
        // `{}`: any JSON (payloads); kept small so it stays within the wire limits.
        return fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
      default:
        throw new Error(`schema type ${String(schema.type)} is not generated`);
    }
  }

  private object(schema: JsonSchema): Arbitrary<unknown> {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const required = (schema.required ?? []) as string[];
    const model = Object.fromEntries(Object.entries(properties).map(([name, child]) => [name, this.valid(child)]));
    return fc.record(model, { requiredKeys: required });
  }
}

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

function string(schema: JsonSchema): Arbitrary<string> {
  const minLength = num(schema.minLength) ?? 0;
  const maxLength = num(schema.maxLength);
  const fits = (s: string) => s.length >= minLength && (maxLength === undefined || s.length <= maxLength);
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  if (schema.format === 'uri') return fc.webUrl({ validSchemes: ['https', 'http'] }).filter(fits);
  return fc.string({ minLength, maxLength: Math.min(maxLength ?? 32, 32) });
}

function number(schema: JsonSchema): Arbitrary<number> {
  const exclusiveMin = num(schema.exclusiveMinimum);
  const min = num(schema.minimum) ?? exclusiveMin ?? -1e6;
  const max = num(schema.maximum) ?? 1e6;
  const above = (v: number) => exclusiveMin === undefined || v > exclusiveMin;
  if (schema.type === 'integer') {
    if (max <= INT32 && min >= -INT32) return fc.integer({ min: Math.ceil(min), max: Math.floor(max) }).filter(above);
    return fc.maxSafeInteger().map((v) => Math.min(max, Math.max(min, v))).map(Math.trunc).filter(above);
  }
  // Edges and round values are where validators disagree; plain doubles cover the rest.
  return fc.oneof(fc.constantFrom(min, max), fc.double({ min, max, noNaN: true, noDefaultInfinity: true })).filter(above);
}

/** One way to make one field of a valid document invalid. */
export interface Breakage {
  /** Dotted path of the field broken (the body's own path for an unknown key). */
  readonly field: string;
  readonly how: 'wrong_type' | 'out_of_range' | 'missing_required' | 'unknown_enum' | 'unknown_field';
  readonly apply: (doc: Record<string, unknown>) => Record<string, unknown>;
}

/** A value of a JSON type none of `schema`'s alternatives allows; undefined when it allows every type. */
function wrongType(schema: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): unknown {
  const branches = Array.isArray(schema.anyOf) ? (schema.anyOf as JsonSchema[]).map(resolve) : [schema];
  const types = new Set(branches.map((b) => b.type ?? (b.const !== undefined ? typeof b.const : Array.isArray(b.enum) ? typeof b.enum[0] : undefined)));
  if (types.has(undefined)) return undefined;
  const candidates: readonly [string, unknown][] = [
    ['boolean', true],
    ['string', 'not-the-right-type'],
    ['number', 12_345],
    ['object', { nested: 1 }],
  ];
  for (const [type, value] of candidates) {
    const allowed = types.has(type) || (type === 'number' && types.has('integer'));
    if (!allowed) return value;
  }
  return undefined;
}

/** A value past one of `schema`'s bounds, when it has one. */
function outOfRange(schema: JsonSchema): unknown {
  if (schema.type === 'number' || schema.type === 'integer') {
    if (typeof schema.maximum === 'number') return schema.maximum + 1;
    if (typeof schema.exclusiveMinimum === 'number') return schema.exclusiveMinimum;
    if (typeof schema.minimum === 'number') return schema.minimum - 1;
  }
  if (schema.type === 'string') {
    if (typeof schema.maxLength === 'number') return 'a'.repeat(schema.maxLength + 1);
    if (typeof schema.minLength === 'number' && schema.minLength > 0) return '';
  }
  if (schema.type === 'array' && typeof schema.maxItems === 'number' && schema.maxItems <= 100) return Array.from({ length: schema.maxItems + 1 }, () => 'x');
  return undefined;
}

/** Every single-field breakage of an object schema's top-level fields (and of its nested objects). */
export function breakages(arbs: SchemaArbitraries, input: JsonSchema, prefix = ''): Breakage[] {
  const schema = arbs.resolve(input);
  if (schema.type !== 'object') return [];
  const out: Breakage[] = [];
  const at = (name: string) => (prefix === '' ? name : `${prefix}.${name}`);
  const set = (path: string, value: unknown) => (doc: Record<string, unknown>) => setPath(doc, path, value);
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const name of (schema.required ?? []) as string[]) out.push({ field: at(name), how: 'missing_required', apply: (doc) => setPath(doc, at(name), undefined) });
  for (const [name, raw] of Object.entries(properties)) {
    const child = arbs.resolve(raw);
    const path = at(name);
    const wrong = wrongType(child, (s) => arbs.resolve(s));
    if (wrong !== undefined) out.push({ field: path, how: 'wrong_type', apply: set(path, wrong) });
    const far = outOfRange(child);
    if (far !== undefined) out.push({ field: path, how: 'out_of_range', apply: set(path, far) });
    if (Array.isArray(child.enum)) out.push({ field: path, how: 'unknown_enum', apply: set(path, 'NOT_A_MEMBER') });
    if (child.type === 'object' && child.properties !== undefined) out.push(...breakages(arbs, child, path));
  }
  if (schema.additionalProperties === false) out.push({ field: at('unexpected_field'), how: 'unknown_field', apply: set(at('unexpected_field'), 1) });
  return out;
}

/** A copy of `doc` with `path` set (or deleted for undefined); parents are made as objects. */
function setPath(doc: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(doc);
  const names = path.split('.');
  let node: Record<string, unknown> = copy;
  for (const name of names.slice(0, -1)) {
    const next = node[name];
    node = typeof next === 'object' && next !== null && !Array.isArray(next) ? (next as Record<string, unknown>) : (node[name] = {});
  }
  const last = names.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}
