/**
 * Turns the route table into an OpenAPI 3.1 document: request and response schemas come from
 * zod (z.toJSONSchema), schemas with a meta `id` become components, and the problems every
 * route can answer (auth, limits, idempotency) are added here once rather than per route.
 */
import { z } from 'zod';
import { PARAM_FORMATS } from '../query.js';
import { ProblemSchema } from '../response-schemas.js';
import type { HeaderName, Method, RouteDoc } from './route-doc.js';
import { payloadSchemas, splitByVerb } from './verb-branches.js';

type Json = Record<string, unknown>;

const COMPONENT_REF = '#/components/schemas/';

const HEADERS: Readonly<Record<HeaderName | 'X-Request-Id', Json>> = {
  'X-Request-Id': { description: "The request's id (the client's when it sent a sane one): also in problem bodies and the lead's log", schema: { type: 'string' } },
  Location: { description: 'Where the created or started resource is followed', schema: { type: 'string' } },
  'Retry-After': { description: 'Whole seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
  'WWW-Authenticate': { description: 'The schemes the lead accepts: Mesh-Ed25519, Bearer', schema: { type: 'string' } },
  'Idempotent-Replayed': { description: 'true: the stored answer to an earlier request with this Idempotency-Key', schema: { type: 'string', enum: ['true'] } },
};

/** Problems any route can give, with when; merged with each route's own. */
function commonProblems(route: RouteDoc): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const add = (status: number, when: string) => out.set(status, [...(out.get(status) ?? []), when]);
  for (const [status, when] of Object.entries(route.problems ?? {})) add(Number(status), when);
  const writes = route.method !== 'get';
  if (route.query !== undefined) add(400, 'BAD_REQUEST: an invalid query parameter or page token (errors names it)');
  if (route.body !== undefined) add(400, 'BAD_REQUEST: the body is not JSON or does not match the schema (errors names every field)');
  if (!route.public) {
    add(401, 'UNAUTHENTICATED: no, malformed, expired or unverifiable credentials (reason says which)');
    if (writes) add(403, 'FORBIDDEN: the caller\'s role may only read');
    add(429, 'RATE_LIMITED: over api.rate_limit, or too many failed authentications (reason TOO_MANY_FAILURES)');
  }
  if (writes) add(413, 'PAYLOAD_TOO_LARGE: the body is over api.max_body_bytes');
  if (writes && route.path.startsWith('/v1/')) add(503, 'UNAVAILABLE: this lead is an HA standby (another lead holds the lease); send changes to the active lead');
  if (route.body !== undefined) add(415, 'the body is not application/json');
  if (route.method === 'post' && route.path.startsWith('/v1/')) {
    add(400, 'BAD_REQUEST: a malformed Idempotency-Key');
    add(409, 'IDEMPOTENCY_IN_PROGRESS: the first request with this Idempotency-Key is still being answered');
    add(422, 'IDEMPOTENCY_MISMATCH: the Idempotency-Key was used for a different request');
  }
  add(500, 'INTERNAL: a bug; the lead log has it under the request id');
  return out;
}

const RETRY_AFTER_STATUSES = new Set([429, 503]);

/** Converts zod schemas, collecting named ones (meta id) as components. */
class SchemaSet {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const json = z.toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
      override: (ctx) => {
        const format = PARAM_FORMATS.get(ctx.zodSchema);
        if (format !== undefined) {
          for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Json)[key];
          Object.assign(ctx.jsonSchema, format);
        }
        // Read-only arrays are a TypeScript matter; in a response schema `readOnly` would only confuse.
        delete (ctx.jsonSchema as Json).readOnly;
      },
    }) as Json;
    const { $schema: _dialect, $defs, ...body } = json;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, Json>)) this.addComponent(id, relink(def) as Json);
    if (typeof body.id === 'string') {
      const { id, ...rest } = body;
      this.addComponent(id, relink(rest) as Json);
      return { $ref: `${COMPONENT_REF}${id}` };
    }
    return relink(body) as Json;
  }

  private addComponent(id: string, def: Json): void {
    const { id: _id, ...clean } = def;
    const known = this.components[id];
    if (known !== undefined && JSON.stringify(known) !== JSON.stringify(clean)) throw new Error(`two different schemas are both named ${id}`);
    this.components[id] = clean;
  }
}

/** zod writes refs to its own $defs; in the document they live under components. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, child] of Object.entries(value as Json)) {
    out[key] = key === '$ref' && typeof child === 'string' ? child.replace('#/$defs/', COMPONENT_REF) : relink(child);
  }
  return out;
}

function headersOf(names: readonly string[]): Json {
  return Object.fromEntries(['X-Request-Id', ...names].map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}

function queryParameters(schemas: SchemaSet, query: z.ZodObject): Json[] {
  const json = schemas.convert(query, 'input');
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries((json.properties ?? {}) as Record<string, Json>).map(([name, schema]) => {
    const field: unknown = query.shape[name];
    // zod leaves the default of a parsed-text parameter (page_size) out of the input schema.
    const fallback = field instanceof z.ZodDefault ? { default: field.def.defaultValue } : {};
    return { name, in: 'query', required: required.has(name), schema: { ...schema, ...fallback } };
  });
}

/** `over` with what it leaves open taken from `under`, at every depth (an array's items too); lists are not merged. */
function underlay(under: Json, over: Json): Json {
  const out: Json = { ...under };
  for (const [key, value] of Object.entries(over)) {
    const below = under[key];
    const bothObjects = [value, below].every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    // A route's plain number does not widen the engine's integer.
    const widens = key === 'type' && value === 'number' && below === 'integer';
    out[key] = bothObjects ? underlay(below as Json, value as Json) : widens ? below : value;
  }
  return out;
}

function requestBody(schemas: SchemaSet, body: NonNullable<RouteDoc['body']>): Json {
  const schema = schemas.convert(body.schema, 'input');
  // The route's own constraints win; the engine's add what the route leaves open (enums, ranges, defaults).
  for (const variant of [schema, ...((schema.anyOf ?? []) as Json[])]) {
    const properties = variant.properties as Record<string, Json> | undefined;
    for (const [field, real] of Object.entries(body.fields ?? {})) {
      if (properties?.[field] !== undefined) properties[field] = underlay(schemas.convert(real, 'input'), properties[field]);
    }
  }
  const checked = splitByVerb(schema, payloadSchemas((payload) => schemas.convert(payload, 'input')));
  return { required: body.optional !== true, content: { 'application/json': { schema: checked, example: body.example } } };
}

function operation(schemas: SchemaSet, route: RouteDoc): Json {
  const parameters: Json[] = Object.entries(route.params ?? {}).map(([name, description]) => ({ name, in: 'path', required: true, description, schema: { type: 'string', minLength: 1 } }));
  if (route.query !== undefined) parameters.push(...queryParameters(schemas, route.query));
  const idempotent = route.method === 'post' && route.path.startsWith('/v1/');
  if (idempotent) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });

  const responses: Json = {};
  for (const [status, answer] of Object.entries(route.responses)) {
    const headers = [...(answer.headers ?? []), ...(idempotent ? (['Idempotent-Replayed'] as const) : [])];
    const content =
      answer.schema !== undefined ? { 'application/json': { schema: schemas.convert(answer.schema, 'output') } } : answer.mediaType !== undefined ? { [answer.mediaType]: { schema: { type: 'string' } } } : undefined;
    responses[status] = { description: answer.description, headers: headersOf(headers), ...(content === undefined ? {} : { content }) };
  }
  for (const [status, whens] of [...commonProblems(route)].sort(([a], [b]) => a - b)) {
    const headers = [...(RETRY_AFTER_STATUSES.has(status) ? ['Retry-After'] : []), ...(status === 401 ? ['WWW-Authenticate'] : [])];
    responses[String(status)] = { description: whens.join('; '), headers: headersOf(headers), content: { 'application/problem+json': { schema: { $ref: `${COMPONENT_REF}Problem` } } } };
  }
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    ...(route.public ? { security: [] } : {}),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(route.body === undefined ? {} : { requestBody: requestBody(schemas, route.body) }),
    responses,
  };
}

export interface DocumentInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
}

export function buildDocument(info: DocumentInfo, routes: readonly RouteDoc[]): Json {
  const schemas = new SchemaSet();
  schemas.convert(ProblemSchema, 'output');
  const paths: Record<string, Partial<Record<Method, Json>>> = {};
  const ids = new Set<string>();
  for (const route of routes) {
    if (ids.has(route.operationId)) throw new Error(`operationId ${route.operationId} is used twice`);
    ids.add(route.operationId);
    const item = (paths[route.path] ??= {});
    if (item[route.method] !== undefined) throw new Error(`${route.method.toUpperCase()} ${route.path} is described twice`);
    item[route.method] = operation(schemas, route);
  }
  return {
    openapi: '3.1.0',
    info,
    security: [{ meshEd25519: [] }, { bearer: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        meshEd25519: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Mesh-Ed25519 id=..,ts=..,nonce=..,sig=.. over method, path with query, ts, nonce and the body bytes (docs/api.md)' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'mt1.<claims>.<sig> (mesh-lead api-token)' },
      },
      parameters: {
        IdempotencyKey: { name: 'Idempotency-Key', in: 'header', required: false, description: 'The same request again within 24 h answers the stored 2xx (Idempotent-Replayed: true)', schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$' } },
      },
      headers: HEADERS,
      schemas: Object.fromEntries(Object.entries(schemas.components).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}
