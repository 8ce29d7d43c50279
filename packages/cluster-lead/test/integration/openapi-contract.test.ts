// The OpenAPI document against a running lead (startLead over a real nats-server, SQLite, HTTP):
// every route is driven at least once, with error answers too, and every answer's status, media
// type, headers and body are checked against what the document says for that route (Ajv on the
// response schema). A route the document lists but the test never drove fails the last test.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { issueApiToken } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeadApi, startNats, type LeadApiResponse, type NatsServer } from '../../../../test/harness/index.js';
import { LeadFixture, OPERATOR_ID } from '../support/lead-fixture.js';
import { enroll } from '../support/test-agents.js';

type Json = Record<string, unknown>;
interface Operation {
  readonly template: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: Json }> }>;
  readonly requestBody?: { content: Record<string, { schema: Json }> };
}

describe('the OpenAPI document, against the answers of a running lead', () => {
  let nats: NatsServer;
  let fx: LeadFixture;
  let operations: Operation[];
  let components: Json;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const validators = new Map<string, ValidateFunction>();
  /** `METHOD template` of every operation driven, with the statuses seen. */
  const driven = new Map<string, Set<number>>();

  function operationFor(method: string, path: string): Operation {
    const bare = path.split('?')[0] ?? path;
    const found = operations.filter((op) => op.method === method.toLowerCase() && op.pattern.test(bare));
    // /v1/agents/{id}/sensors also matches nothing shorter: the most specific template wins.
    found.sort((a, b) => b.template.length - a.template.length);
    const op = found[0];
    if (op === undefined) throw new Error(`the document has no ${method} ${bare}`);
    return op;
  }

  /** Checks one answer against the document and records the route as driven. */
  function conforms<T>(method: string, path: string, res: LeadApiResponse<T>): LeadApiResponse<T> {
    const op = operationFor(method, path);
    const where = `${method} ${path} -> ${res.status}`;
    const documented = op.responses[String(res.status)];
    expect(documented, `${where}: status not documented (${JSON.stringify(res.body)})`).toBeDefined();
    expect(res.headers.get('x-request-id'), where).toEqual(expect.any(String));
    if (documented?.headers?.Location !== undefined) expect(res.headers.get('location'), `${where}: Location`).toEqual(expect.any(String));
    if (documented?.content === undefined) {
      expect(res.body, `${where}: no body documented`).toBeUndefined();
    } else {
      const media = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
      const content = documented.content[media];
      expect(content, `${where}: media type ${media} not documented`).toBeDefined();
      const key = `${op.method} ${op.template} ${res.status} ${media}`;
      let validate = validators.get(key);
      if (validate === undefined) {
        // The schema's $refs point into the document's components: give it those as its root's.
        validate = ajv.compile({ ...content!.schema, components });
        validators.set(key, validate);
      }
      const ok = validate(res.body);
      expect(ok ? [] : validate.errors, `${where}: body does not match the documented schema`).toEqual([]);
    }
    const seen = driven.get(`${op.method} ${op.template}`) ?? new Set<number>();
    seen.add(res.status);
    driven.set(`${op.method} ${op.template}`, seen);
    return res;
  }

  /** A body the lead took (2xx) must be one the document's request schema allows too. */
  function requestConforms(method: string, path: string, body: unknown): void {
    const op = operationFor(method, path);
    const schema = op.requestBody?.content['application/json']?.schema;
    expect(schema, `${method} ${path}: the lead took a body the document does not describe`).toBeDefined();
    const key = `${op.method} ${op.template} request`;
    const validate = validators.get(key) ?? ajv.compile({ ...schema, components });
    validators.set(key, validate);
    expect(validate(body) ? [] : validate.errors, `${method} ${path}: accepted body outside the documented request schema`).toEqual([]);
  }

  const call = async <T = Json>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<LeadApiResponse<T>> => {
    const res = conforms(method, path, await fx.api.request<T>(method, path, body, headers));
    if (body !== undefined && res.status < 300) requestConforms(method, path, body);
    return res;
  };
  const get = <T = Json>(path: string) => call<T>('GET', path);
  const post = <T = Json>(path: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', path, body, headers);

  beforeAll(async () => {
    nats = await startNats();
    // The fixture's clock stands still, so the rate limiter never refills: room for every call here.
    // A small body limit, so a body over it is still written whole before the lead answers 413.
    fx = await LeadFixture.start({ natsUrl: nats.url, config: { api: { rate_limit: { burst: 1_000, per_second: 1 }, max_body_bytes: 32_768 } } });
    const agents = await fx.addAgents([{ agentId: 'pi-00', capabilities: ['gpio'] }, { agentId: 'pi-01', capabilities: ['gpio'] }, { agentId: 'pi-02' }]);
    const sensors = [{ sensor_id: 'relay-1', value: true, sampled_at: fx.clock.now() - 1_000.5, seq: 4 }];
    for (const agent of agents) expect((await agent.heartbeat({ message: { sensors } })).reply).toMatchObject({ accepted: true });

    const doc = (await fx.api.get<Json>('/v1/openapi.json')).body;
    components = doc.components as Json;
    operations = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([template, item]) =>
      Object.entries(item).map(([method, op]) => ({
        template,
        method,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        responses: op.responses as Operation['responses'],
        ...(op.requestBody === undefined ? {} : { requestBody: op.requestBody as Operation['requestBody'] }),
      })),
    );
    conforms('GET', '/v1/openapi.json', { status: 200, headers: new Headers({ 'x-request-id': 'r', 'content-type': 'application/json' }), body: doc });
  });

  afterAll(async () => {
    await fx?.close();
    await nats?.dispose();
  });

  it('health, status, metrics and the agents', async () => {
    const anonymous = new LeadApi(fx.lead.api.url);
    conforms('GET', '/health/live', await anonymous.get('/health/live'));
    conforms('GET', '/health/ready', await anonymous.get('/health/ready'));
    conforms('GET', '/health/deep', await anonymous.get('/health/deep'));
    expect((await get('/metrics')).status).toBe(200);
    expect((await get('/v1/status')).status).toBe(200);

    expect((await get('/v1/agents?page_size=2')).body).toMatchObject({ next_page_token: expect.any(String) });
    expect((await get('/v1/agents?state=active&class=E')).status).toBe(200);
    expect((await get('/v1/agents?page_size=0')).status).toBe(400);
    expect((await get('/v1/agents/pi-00')).status).toBe(200);
    expect((await get('/v1/agents/nobody')).status).toBe(404);
    expect((await get('/v1/agents/pi-00/history')).body).toMatchObject({ agent_id: 'pi-00', samples: [{ impedance_score: expect.any(Number) }] });
    expect((await get('/v1/agents/pi-00/history?samples=0')).status).toBe(400);
    expect((await get('/v1/agents/nobody/history')).status).toBe(404);
    expect((await get('/v1/tree')).body).toMatchObject({ lead_id: expect.any(String), children: [] });
    expect((await post('/v1/agents/pi-02/quarantine', { reason: 'contract test' })).status).toBe(200);
    expect((await post('/v1/agents/pi-02/recover', {})).status).toBe(200);
    expect((await post('/v1/agents/pi-02/retire', { reason: 'contract test' })).status).toBe(200);
    expect((await post('/v1/agents/pi-02/retire', { why: 'unknown field' })).status).toBe(400);
  });

  it('sensors', async () => {
    expect((await get('/v1/sensors')).status).toBe(200);
    expect((await get('/v1/agents/pi-00/sensors')).body).toMatchObject({ heartbeat: { sensors: [{ sensor_id: 'relay-1' }] } });
    expect((await get('/v1/agents/pi-00/sensors/relay-1/history?page_size=5')).status).toBe(200);
    expect((await get('/v1/agents/nobody/sensors')).status).toBe(404);
  });

  it('jobs: operations, heal, cascades and delegations', async () => {
    const started = await post<{ operation_id: string }>('/v1/operations', { verb: 'record', payload: { command: 'arm' }, selector: { all: true }, timeout_ms: 60_000 });
    expect(started.status).toBe(202);
    expect((await post('/v1/operations', { kind: 'broadcast', verb: 'observe', payload: null })).status).toBe(202);
    expect((await post('/v1/operations', { kind: 'ask', question: 'relay state?', sample_size: 2 })).status).toBe(202);
    expect((await post('/v1/operations', { verb: 'record', selector: { all: true }, window_ms: 'soon' })).status).toBe(400);
    expect((await get('/v1/operations?state=RUNNING')).status).toBe(200);
    expect((await get(`/v1/operations/${started.body.operation_id}`)).status).toBe(200);
    expect((await get('/v1/operations/op-unknown')).status).toBe(404);
    expect((await post(`/v1/operations/${started.body.operation_id}/cancel`)).status).toBe(200);

    expect((await post('/v1/heal', { target: 'auto' }, { 'Idempotency-Key': 'heal-1' })).status).toBe(202);
    expect((await post('/v1/heal', { target: 'auto' }, { 'Idempotency-Key': 'heal-1' })).headers.get('idempotent-replayed')).toBe('true');
    expect((await post('/v1/heal', { target: 'cluster-1' }, { 'Idempotency-Key': 'heal-1' })).status).toBe(422);

    const cascade = await post<{ state: string }>('/v1/cascades', { cascade_id: 'cas-contract-1', verb: 'record', payload: null });
    expect(cascade.status).toBe(202);
    expect(cascade.body.state).toBe('RUNNING');
    expect((await get('/v1/cascades/cas-contract-1')).status).toBe(200);
    expect((await post('/v1/cascades', { strategy: 'sideways', verb: 'record' })).status).toBe(400);

    const delegation = await post<{ delegation_id: string }>('/v1/delegations', { task: { verb: 'observe', payload: { question: 'relay?' } }, to: { capability: 'gpio' }, timeout_ms: 60_000 });
    expect(delegation.status).toBe(202);
    expect((await get(`/v1/delegations/${delegation.body.delegation_id}`)).status).toBe(200);
    expect((await get('/v1/delegations/nope')).status).toBe(404);
  });

  it('control: freeze, mode, breakers, conflicts', async () => {
    expect((await post('/v1/freeze', { scope: 'cluster', reason: 'contract test' })).status).toBe(200);
    expect((await post('/v1/operations', { verb: 'record', selector: { all: true } })).status).toBe(409);
    expect((await post('/v1/thaw', { scope: 'cluster' })).status).toBe(200);
    expect((await post('/v1/freeze', { scope: 'cluster', preserve_state_to: '/tmp/x' })).status).toBe(422);

    expect((await get('/v1/mode')).status).toBe(200);
    expect((await call('PUT', '/v1/mode', { override: 'DEGRADED_LIGHT' })).status).toBe(200);
    expect((await call('PUT', '/v1/mode', { override: null })).status).toBe(200);
    expect((await call('PUT', '/v1/mode', { override: 'CALM' })).status).toBe(400);

    expect((await post('/v1/breakers/cluster-1/force', { state: 'open', scope: 'cluster' })).status).toBe(200);
    expect((await post('/v1/breakers/cluster-1/force', { state: 'auto' })).status).toBe(200);
    expect((await post('/v1/breakers/nowhere/force', { state: 'open' })).status).toBe(404);
    expect((await get('/v1/breakers')).status).toBe(200);
    const history = await get<{ transitions: { seq: number; target_id: string; to: string }[] }>('/v1/breakers/history');
    expect(history.body.transitions.filter((t) => t.target_id === 'cluster-1').map((t) => t.to)).toEqual(['open', 'half-open']);
    expect((await get(`/v1/breakers/history?after=${history.body.transitions[0]!.seq}&limit=1`)).status).toBe(200);
    expect((await get('/v1/breakers/history?limit=0')).status).toBe(400);

    // Mesh times are fractional; so may the bounds be.
    expect((await get(`/v1/conflicts?since=${fx.clock.now() - 60_000.25}&until=${fx.clock.now() + 0.5}`)).status).toBe(200);
    expect((await get('/v1/conflicts?since=1e3')).status).toBe(400);
    expect((await get('/v1/conflicts?operation=op-none&agent=pi-00')).body).toEqual({ conflicts: [] });
  });

  it('dead letters, edge agents and enrollments', async () => {
    // A letter of a kind no replayer sends, stored as the lead's own desks store them.
    const letter = fx.lead.store.deadLetters.add({ createdAt: fx.clock.now(), operationId: null, agentId: 'pi-00', kind: 'contract.test', reason: 'seeded', attempts: 1, payload: { n: 1 } });
    expect((await get('/v1/dead-letters?kind=contract.test')).body).toMatchObject({ dead_letters: [{ id: letter }] });
    expect((await get(`/v1/dead-letters/${letter}`)).status).toBe(200);
    expect((await post(`/v1/dead-letters/${letter}/replay`)).status).toBe(409);
    expect((await call('DELETE', `/v1/dead-letters/${letter}`)).status).toBe(204);
    expect((await get('/v1/dead-letters/999')).status).toBe(404);
    expect((await post('/v1/dead-letters/999/replay')).status).toBe(404);
    expect((await call('DELETE', '/v1/dead-letters/999')).status).toBe(404);

    const worker = { agent_id: 'edge-1', url: 'https://edge-1.invalid', capabilities: ['http'], cluster_id: 'cluster-1', public_key: 'qtx-Oj9A4NtR1zkGdwcpiwnjxrT4DniJkmHr9GcoWYw' };
    expect((await post('/v1/edge-agents', worker)).status).toBe(201);
    expect((await post('/v1/edge-agents', { ...worker, capabilities: ['http', 'kv'] })).status).toBe(200);
    expect((await post('/v1/edge-agents', { ...worker, url: 'ftp://x' })).status).toBe(400);
    expect((await get('/v1/edge-agents')).status).toBe(200);
    expect((await get('/v1/edge-agents/edge-1')).status).toBe(200);
    expect((await call('DELETE', '/v1/edge-agents/edge-1')).status).toBe(204);
    expect((await get('/v1/edge-agents/edge-1')).status).toBe(404);

    const keys = await nodeEd25519.generateKeyPair();
    const record = await enroll(fx.root, { agentId: 'pi-new', publicKey: keys.publicKey, clusterId: 'cluster-1', issuedAt: fx.clock.now() });
    expect((await post('/v1/enrollments', record)).status).toBe(201);
    expect((await post('/v1/enrollments', { ...record, signature: record.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) })).status).toBe(422);
    expect((await get('/v1/enrollments?state=all')).status).toBe(200);
    expect((await post('/v1/enrollments/pi-stranger/accept')).status).toBe(404);
    expect((await post('/v1/enrollments/pi-stranger/reject', { reason: 'unknown' })).status).toBe(404);
    expect((await call('DELETE', '/v1/enrollments/pi-new')).status).toBe(204);
  });

  it('refusals at the door: 401, 403, 413 and 429', async () => {
    const url = fx.lead.api.url;
    expect(conforms('GET', '/v1/status', await new LeadApi(url).get('/v1/status')).status).toBe(401);
    const reader = await issueApiToken(nodeEd25519.signerSync(fx.operatorKeys.privateKey), { sub: OPERATOR_ID, role: 'read', iat: fx.clock.now(), exp: fx.clock.now() + 60_000 });
    const write = await fetch(`${url}/v1/heal`, { method: 'POST', headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' }, body: '{}' });
    expect(conforms('POST', '/v1/heal', { status: write.status, headers: write.headers, body: await write.json() }).status).toBe(403);
    expect((await post('/v1/heal', { target: 'x'.repeat(40_000) })).status).toBe(413);

    // Failed authentications from one address end in 429 (api.auth_failures): last, since it shuts this address out.
    let last = await new LeadApi(url).get('/v1/status');
    for (let i = 0; i < 20 && last.status === 401; i++) last = await new LeadApi(url).get('/v1/status');
    expect(conforms('GET', '/v1/status', last).status).toBe(429);
  });

  it('checks for real: a body the document does not allow is caught', () => {
    const agent = operationFor('GET', '/v1/agents/pi-00').responses['200']?.content?.['application/json']?.schema;
    const validate = ajv.compile({ ...agent, components });
    expect(validate({ agent_id: 'pi-00', state: 'active' })).toBe(false);
    expect(validate.errors?.map((e) => e.message)).toContain("must have required property 'role'");
  });

  it('drove every route the document lists', () => {
    const undriven = operations.map((op) => `${op.method} ${op.template}`).filter((key) => !driven.has(key));
    expect(undriven).toEqual([]);
  });
});
