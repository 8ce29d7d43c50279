import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { EdgeAgentJson } from './edge-routes.js';
import type { PendingEnrollmentJson } from './enrollment-routes.js';
import type { SensorHealth } from '../sensors/sensor-health.js';
import { silentLogger } from '../lib/logger.js';
import { apiTestKit } from './api-test-kit.js';
import { createApi, type LeadStatusBody } from './app.js';
import { ROUTE_DOCS, openApiDocument } from './openapi/index.js';
import type { Answer, EdgeAgentSchema, LeadStatusSchema, PendingEnrollmentSchema, SensorHealthSchema } from './response-schemas.js';

const kit = await apiTestKit();
const stub = () => {
  throw new Error('not called');
};

/** Every optional part present, so every route is registered. */
function fullApi() {
  return createApi({
    access: kit.access,
    status: stub,
    agent: stub,
    readiness: stub,
    logger: silentLogger(),
    operations: { submit: stub, get: stub },
    acks: { watch: stub, drain: stub, release: stub },
    sample: stub,
    control: { freeze: stub, thaw: stub },
    breakers: stub,
    forceBreaker: stub,
    breakerHistory: { list: stub, capacity: 0, dropped: 0 },
    mode: { get: stub, set: stub },
    conflicts: stub,
    heal: stub,
    cascades: { submit: stub, get: stub },
    edgeAgents: { register: stub, remove: stub, snapshot: stub },
    delegations: { start: stub, get: stub } as never,
    enrollments: { enroll: stub, revoke: stub, requests: { list: stub, leadSigns: stub, accept: stub, reject: stub } },
    deepProbe: stub,
    sensors: { latest: stub, history: stub },
    agentHistory: stub,
    tree: { self: { leadId: 'l', clusterId: 'c', sectorId: null, parentLeadId: null }, mesh: stub, children: stub },
    deadLetters: { list: stub, get: stub, replay: stub, drop: stub } as never,
    metrics: { ingest: stub, operations: stub as never, breakers: stub, mode: stub },
  });
}

type Json = Record<string, unknown>;
const doc = openApiDocument();
const paths = doc.paths as Record<string, Record<string, Json>>;
const operations = Object.entries(paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

describe('GET /v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (checked by an OpenAPI validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes exactly the routes the router has: none missing, none extra', () => {
    const routed = new Set(
      fullApi()
        .routes.filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`),
    );
    const documented = new Set(operations.map((o) => `${o.method} ${o.path}`));
    expect(routed.size).toBeGreaterThan(40);
    expect([...routed].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((d) => !routed.has(d))).toEqual([]);
  });

  it('gives every operation a unique operationId, a tag, and a schema for every JSON answer', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, op } of operations) {
      expect(op.tags, `${method} ${path}`).toHaveLength(1);
      for (const [status, answer] of Object.entries(op.responses as Record<string, Json>)) {
        const content = answer.content as Record<string, { schema?: Json }> | undefined;
        if (status === '204') expect(content, `${method} ${path} ${status}`).toBeUndefined();
        else expect(Object.values(content ?? {}).every((media) => media.schema !== undefined), `${method} ${path} ${status}`).toBe(true);
      }
    }
  });

  it('documents no bare object, and requires only properties it defines', () => {
    const bare: string[] = [];
    const undefinedRequired: string[] = [];
    const visit = (value: unknown, at: string): void => {
      if (Array.isArray(value)) return value.forEach((v, i) => visit(v, `${at}/${i}`));
      if (value === null || typeof value !== 'object') return;
      const node = value as Json;
      if (node.type === 'object' && node.properties === undefined && node.additionalProperties === undefined) bare.push(at);
      if (node.type === 'object' && Array.isArray(node.required)) {
        const properties = (node.properties ?? {}) as Json;
        for (const name of node.required as string[]) if (!(name in properties)) undefinedRequired.push(`${at}: ${name}`);
      }
      for (const [key, child] of Object.entries(node)) if (key !== 'example' && key !== 'examples') visit(child, `${at}/${key}`);
    };
    visit(doc, '#');
    expect(bare).toEqual([]);
    expect(undefinedRequired).toEqual([]);
  });

  it("documents the answers every route can give: 413 on bodies, 401/429 off /health, the route's own", () => {
    for (const { path, method, op } of operations) {
      const statuses = Object.keys(op.responses as Json);
      if (method !== 'get') expect(statuses, `${method} ${path}`).toContain('413');
      if (!path.startsWith('/health/')) expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['401', '429']));
    }
    const since = (paths['/v1/conflicts']?.get?.parameters as Json[]).find((p) => p.name === 'since');
    expect(since?.schema).toMatchObject({ type: 'number' });
  });

  it('shows request examples that the route and the documented request schema both accept', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    for (const route of ROUTE_DOCS) {
      if (route.body === undefined) continue;
      const parsed = route.body.schema.safeParse(route.body.example);
      expect(parsed.error?.issues ?? [], `${route.method} ${route.path}`).toEqual([]);
      const media = ((paths[route.path]?.[route.method]?.requestBody as Json).content as Record<string, { schema: Json; example: unknown }>)['application/json']!;
      const validate = ajv.compile({ ...media.schema, components: doc.components });
      expect(validate(media.example) ? [] : validate.errors, `${route.method} ${route.path}`).toEqual([]);
    }
  });

  it('gives examples that match their own schemas', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    const withExamples = Object.entries(schemas).filter(([, schema]) => Array.isArray(schema.examples));
    expect(withExamples.map(([id]) => id)).toEqual(expect.arrayContaining(['Job', 'JobAccepted', 'CascadeAccepted', 'DelegationAccepted', 'Problem']));
    for (const [id, schema] of withExamples) {
      const validate = ajv.compile({ ...schema, components: doc.components });
      for (const example of schema.examples as unknown[]) expect(validate(example) ? [] : validate.errors, id).toEqual([]);
    }
  });

  it('is served to any authenticated caller', async () => {
    const res = await kit.request(fullApi(), 'GET', '/v1/openapi.json', { as: 'viewer' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ openapi: '3.1.0', paths: expect.any(Object) });
  });

  it('types the builders that return interfaces against the response schemas (checked by tsc)', () => {
    expectTypeOf<LeadStatusBody>().toExtend<Answer<typeof LeadStatusSchema>>();
    expectTypeOf<PendingEnrollmentJson>().toExtend<Answer<typeof PendingEnrollmentSchema>>();
    expectTypeOf<EdgeAgentJson>().toExtend<Answer<typeof EdgeAgentSchema>>();
    expectTypeOf<SensorHealth>().toExtend<Answer<typeof SensorHealthSchema>>();
  });
});
