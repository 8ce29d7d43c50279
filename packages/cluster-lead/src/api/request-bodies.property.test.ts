/**
 * The issue's property test: for every request body the OpenAPI document describes, random
 * documents valid against it are accepted by the route (and the engine parser behind it), and
 * documents with one field broken are refused with 400 problem+json naming that field; the
 * same for query parameters (page tokens aside: they are opaque, issued by the lead). In
 * process through app.request(); the dependencies are stubs, except the engine parsers that
 * validate what the routes take loosely (operations, cascades, delegations, edge agents).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CascadeRequest } from '../cascade/index.js';
import type { SubmitOutcome } from '../control/index.js';
import { DelegationDesk, parseDelegation, type Delegator } from '../delegation/index.js';
import { EdgeDirectory } from '../edge/edge-directory.js';
import { silentLogger } from '../lib/logger.js';
import { parseOperation } from '../scatter/index.js';
import { apiTestKit, KIT_NOW } from './api-test-kit.js';
import { createApi } from './app.js';
import type { CascadeSubmitOutcome } from './cascade-routes.js';
import { ROUTE_DOCS, openApiDocument } from './openapi/index.js';
import { SchemaArbitraries, breakages, type JsonSchema } from './openapi/schema-arbitrary.js';

const RUNS = 30;
const kit = await apiTestKit({ rateLimit: { burst: 1_000_000, perSecond: 1_000_000 } });
const never = new Promise<never>(() => {});
const clock = { now: () => KIT_NOW };

/** Every optional part present; whatever validates values behind a route is the real parser. */
function api() {
  const edge = new EdgeDirectory(clock);
  const delegator: Pick<Delegator, 'start'> = {
    start: (raw) => {
      const parsed = parseDelegation(raw);
      return parsed.ok ? { ok: true, delegationId: parsed.value.delegationId ?? 'del-1', done: never } : parsed;
    },
  };
  return createApi({
    access: kit.access,
    status: () => ({}) as never,
    agent: () => ({ state: 'active', health: { state: 'healthy' } }) as never,
    agentAction: () => ({ state: 'quarantined', health: { state: 'healthy' } }) as never,
    readiness: () => [],
    logger: silentLogger(),
    operations: {
      submit: (request) => {
        const parsed = parseOperation(request, () => 'op-1');
        const outcome: SubmitOutcome = parsed.ok ? { ok: true, operationId: parsed.value.operationId, state: 'running', outcome: never } : { ok: false, operationId: null, refusal: parsed.error };
        return Promise.resolve(outcome);
      },
      get: () => undefined,
    },
    acks: { watch: () => {}, drain: () => [], release: () => {} },
    sample: () => ['pi-01'],
    control: {
      freeze: (r) => Promise.resolve({ action: 'freeze', scope: r.scope, targetId: r.targetId ?? null, messageId: 'm-1', published: true, frozen: true }) as never,
      thaw: (r) => Promise.resolve({ action: 'thaw', scope: r.scope, targetId: r.targetId ?? null, messageId: 'm-1', published: true, frozen: false }) as never,
    },
    breakers: () => [],
    breakerHistory: { list: () => [], capacity: 256, dropped: 0 },
    forceBreaker: () => {},
    mode: { get: () => ({ mode: 'FULL', computed: 'FULL', override: null }) as never, set: () => {} },
    heal: () => ({ recovered: [], closed: [] }) as never,
    cascades: {
      submit: (raw): CascadeSubmitOutcome => {
        const parsed = CascadeRequest.safeParse(raw);
        if (parsed.success) return { ok: true, created: true, view: { cascadeId: parsed.data.cascadeId ?? 'cas-1', state: 'running', startedAt: KIT_NOW, result: null, error: null } };
        const path = parsed.error.issues[0]?.path.map(String).join('.') ?? '';
        return { ok: false, code: 'INVALID_CASCADE', path, message: `${path || '(body)'}: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
      },
      get: () => undefined,
    },
    edgeAgents: { register: (body) => edge.register(body), registerEnrolled: () => Promise.resolve({ ok: false, code: 'BAD_ENROLLMENT_SIGNATURE', message: 'not signed by a root' }), remove: () => false, snapshot: () => [] },
    delegations: new DelegationDesk(delegator as Delegator, clock.now),
    agentIndex: { ids: () => [], size: () => 0 },
    conflicts: () => [],
    sensors: { latest: () => [], history: () => [] },
    agentHistory: () => ({ samples: [], outcomes: [], capacity: 120, spacingMs: 5_000 }),
    tree: { self: { leadId: 'lead-1', clusterId: 'cluster-1', sectorId: null, parentLeadId: null }, mesh: () => ({ agents_active: 0, agents_total: 0, mode: 'FULL', frozen: false }), children: () => [] },
    deadLetters: { list: () => [] } as never,
    enrollments: {
      enroll: () => Promise.resolve({ ok: true, agentId: 'pi-01', expiresAt: KIT_NOW }) as never,
      revoke: () => false,
      requests: { list: () => [], leadSigns: () => true, accept: () => Promise.resolve({ ok: true, agentId: 'pi-01', expiresAt: KIT_NOW }) as never, reject: () => undefined },
    },
  });
}

type Json = Record<string, unknown>;
const doc = openApiDocument();
const components = (doc.components as { schemas: Record<string, JsonSchema> }).schemas;
const arbs = new SchemaArbitraries(components);
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
/** Path parameters filled with ids the stubs know. */
const concrete = (path: string) => path.replace(/\{[a-z_]+\}/g, 'pi-01');
/** A union body's branch is chosen by this field: without it, another branch's errors are named. */
const DISCRIMINATOR: Readonly<Record<string, string>> = { '/v1/operations': 'kind', '/v1/edge-agents': 'enrollment' };

const bodies = ROUTE_DOCS.filter((route) => route.body !== undefined).map((route) => {
  const operation = (doc.paths as Record<string, Record<string, Json>>)[route.path]![route.method]!;
  const schema = ((operation.requestBody as Json).content as Record<string, { schema: JsonSchema }>)['application/json']!.schema;
  const statuses = new Set(Object.keys(operation.responses as Json).map(Number));
  const validate: ValidateFunction = ajv.compile({ ...schema, components: doc.components });
  const branches = Array.isArray(schema.anyOf) ? (schema.anyOf as JsonSchema[]) : [schema];
  const broken = branches.map((branch) => ({ branch, ways: breakages(arbs, branch).filter((b) => !(b.how === 'missing_required' && b.field === DISCRIMINATOR[route.path])) }));
  return { route, schema, statuses, validate, broken, name: `${route.method.toUpperCase()} ${route.path}` };
});

/** Does the problem name `field` (in errors[].field, its message, or the detail)? */
function names(problem: Json, field: string): boolean {
  const leaf = field.split('.').at(-1)!;
  const errors = (problem.errors ?? []) as { field: string; message: string }[];
  return errors.some((e) => e.field === field || e.message.includes(`"${leaf}"`)) || String(problem.detail).startsWith(`${field}:`) || String(problem.detail).includes(`"${leaf}"`);
}

describe('request bodies against the OpenAPI document (property)', () => {
  const app = api();

  it('covers every body-taking route', () => {
    expect(bodies.length).toBeGreaterThanOrEqual(15);
    expect(bodies.every((b) => b.broken.some((x) => x.ways.length > 0))).toBe(true);
  });

  for (const { route, schema, statuses, validate, name } of bodies) {
    it(`${name}: valid documents are accepted`, async () => {
      await fc.assert(
        fc.asyncProperty(arbs.valid(schema), async (body) => {
          expect(validate(body) ? [] : validate.errors, 'the generator made a document the schema refuses').toEqual([]);
          const res = await kit.request(app, route.method.toUpperCase(), concrete(route.path), { body });
          const answer = res.status === 400 ? await res.json() : undefined;
          expect(answer, JSON.stringify(body)).toBeUndefined();
          expect([...statuses], `${res.status} for ${JSON.stringify(body)}`).toContain(res.status);
        }),
        { numRuns: RUNS },
      );
    });
  }

  for (const { route, validate, broken, name } of bodies) {
    it(`${name}: a document with one field broken is refused naming the field`, async () => {
      const cases = broken.flatMap(({ branch, ways }) => ways.map((way) => ({ branch, way })));
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...cases).chain(({ branch, way }) => arbs.valid(branch).map((body) => ({ way, body: way.apply(body as Json) }))),
          async ({ way, body }) => {
            // Some breakages leave a document another branch of a union accepts: not a breakage then.
            fc.pre(!validate(body));
            const res = await kit.request(app, route.method.toUpperCase(), concrete(route.path), { body });
            const label = `${way.how} ${way.field}: ${JSON.stringify(body)}`;
            expect(res.status, label).toBe(400);
            expect(res.headers.get('content-type'), label).toMatch(/^application\/problem\+json/);
            const problem = (await res.json()) as Json;
            expect(names(problem, way.field), `${label} -> ${JSON.stringify(problem)}`).toBe(true);
          },
        ),
        { numRuns: RUNS * 2 },
      );
    });
  }
});

/** A query value as a client writes it: numbers in plain decimals (the parameters take no exponents). */
const queryText = (value: unknown): string => (typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(9).replace(/\.?0+$/, '')) : String(value));

const queries = ROUTE_DOCS.filter((route) => route.query !== undefined).map((route) => {
  const operation = (doc.paths as Record<string, Record<string, Json>>)[route.path]![route.method]!;
  const parameters = ((operation.parameters ?? []) as Json[]).filter((p) => p.in === 'query' && p.name !== 'page_token');
  const schema: JsonSchema = {
    type: 'object',
    properties: Object.fromEntries(parameters.map((p) => [p.name as string, p.schema as JsonSchema])),
    required: parameters.filter((p) => p.required === true).map((p) => p.name as string),
    additionalProperties: false,
  };
  const ways = breakages(arbs, schema).filter((b) => b.how !== 'wrong_type' || (b.apply({}) as Json)[b.field] !== true);
  return { route, schema, ways, name: `${route.method.toUpperCase()} ${route.path}` };
});

const url = (path: string, query: Json) => {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, queryText(v)])).toString();
  return search === '' ? path : `${path}?${search}`;
};

describe('query parameters against the OpenAPI document (property)', () => {
  const app = api();

  for (const { route, schema, ways, name } of queries) {
    it(`${name}: valid parameters are accepted, one broken is refused naming it`, async () => {
      await fc.assert(
        fc.asyncProperty(arbs.valid(schema), async (query) => {
          const res = await kit.request(app, 'GET', url(concrete(route.path), query as Json));
          expect(res.status, `${url(route.path, query as Json)}: ${res.status === 200 ? '' : await res.text()}`).toBe(200);
        }),
        { numRuns: RUNS },
      );
      if (ways.length === 0) return;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...ways).chain((way) => arbs.valid(schema).map((query) => ({ way, query: way.apply(query as Json) }))),
          async ({ way, query }) => {
            const res = await kit.request(app, 'GET', url(concrete(route.path), query));
            const label = `${way.how} ${way.field}: ${url(route.path, query)}`;
            expect(res.status, label).toBe(400);
            const problem = (await res.json()) as Json;
            expect(names(problem, way.field), `${label} -> ${JSON.stringify(problem)}`).toBe(true);
          },
        ),
        { numRuns: RUNS },
      );
    });
  }
});
