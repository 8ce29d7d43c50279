/**
 * A body with `verb` and `payload` is checked twice: its shape by the route, its payload by the
 * verb's schema (VERB_PAYLOADS, the table agents apply too). For the document to say what the
 * lead accepts, such an object becomes one branch per verb: `verb` a const, `payload` that
 * verb's schema, required where the verb's schema refuses an absent payload (null). Whether
 * `verb` itself is required stays as the route says.
 */
import { VERB_PAYLOADS, Verb } from '@mesh30k/shared';

type Json = Record<string, unknown>;

/** The payload's JSON Schema per verb, converted by the caller (the document's SchemaSet). */
export type PayloadSchemas = Readonly<Record<Verb, Json>>;

export function payloadSchemas(convert: (schema: (typeof VERB_PAYLOADS)[Verb]) => Json): PayloadSchemas {
  return Object.fromEntries(Verb.options.map((verb) => [verb, asAnyOf(convert(VERB_PAYLOADS[verb]))])) as Record<Verb, Json>;
}

/** zod writes a discriminated union as oneOf; its branches exclude each other by a const, so anyOf says the same. */
function asAnyOf(schema: Json): Json {
  const { oneOf, ...rest } = schema;
  return Array.isArray(oneOf) ? { ...rest, anyOf: oneOf } : schema;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `schema` with every object that carries verb and payload split per verb, at any depth of properties and anyOf. */
export function splitByVerb(schema: Json, payloads: PayloadSchemas): Json {
  if (Array.isArray(schema.anyOf)) return { ...schema, anyOf: (schema.anyOf as Json[]).map((variant) => splitByVerb(variant, payloads)) };
  const properties = schema.properties;
  if (!isObject(properties)) return schema;
  const inner: Json = Object.fromEntries(Object.entries(properties).map(([name, child]) => [name, isObject(child) ? splitByVerb(child, payloads) : child]));
  const withInner = { ...schema, properties: inner };
  if (!('verb' in inner) || !('payload' in inner)) return withInner;
  const required = (schema.required ?? []) as string[];
  const { description, ...shape } = withInner as Json;
  const branches = Verb.options.map((verb) => {
    const payloadRequired = !VERB_PAYLOADS[verb].safeParse(null).success;
    return {
      ...shape,
      properties: { ...inner, verb: { const: verb }, payload: payloads[verb] },
      required: [...new Set([...required, ...(payloadRequired ? ['payload'] : [])])],
    };
  });
  return { ...(description === undefined ? {} : { description }), anyOf: branches };
}
