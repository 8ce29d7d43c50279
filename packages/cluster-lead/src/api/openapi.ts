/**
 * GET /v1/openapi.json: an OpenAPI 3.1 description of the routes, written by hand beside them
 * (docs/api.md is the prose contract). A test checks that every registered route is in here.
 */
type Json = Record<string, unknown>;

const problem = { description: 'problem+json (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const ok = (description: string, schema: Json = { type: 'object' }, status = '200'): Json => ({ [status]: { description, content: { 'application/json': { schema } } } });
const errors: Json = { '400': problem, '401': problem, '403': problem, '404': problem, '429': problem };
const body = (schema: Json): Json => ({ required: true, content: { 'application/json': { schema } } });
const idParam = (name = 'id'): Json => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const query = (name: string, schema: Json = { type: 'string' }): Json => ({ name, in: 'query', required: false, schema });
const page = [query('page_size', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }), query('page_token')];
const idempotencyKey: Json = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 128 } };
const job = { $ref: '#/components/schemas/Job' };

const op = (summary: string, responses: Json, extra: Json = {}): Json => ({ summary, responses: { ...responses, ...errors }, ...extra });
const open = (summary: string, responses: Json): Json => ({ summary, security: [], responses: { ...responses, '503': problem } });

export const OPENAPI_DOCUMENT: Json = {
  openapi: '3.1.0',
  info: { title: 'MESH-30K cluster lead management API', version: '1', description: 'See docs/api.md for the contract in prose.' },
  security: [{ meshEd25519: [] }, { bearer: [] }],
  components: {
    securitySchemes: {
      meshEd25519: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Mesh-Ed25519 id=..,ts=..,nonce=..,sig=.. over method, path with query, ts, nonce and the body bytes' },
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'mt1.<claims>.<sig> (mesh-lead api-token)' },
    },
    schemas: {
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail', 'code', 'request_id'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          code: { type: 'string' },
          instance: { type: 'string' },
          request_id: { type: 'string' },
          reason: { type: 'string' },
          errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
      Job: {
        type: 'object',
        required: ['operation_id', 'kind', 'state', 'created_at', 'updated_at'],
        properties: {
          operation_id: { type: 'string' },
          kind: { enum: ['scatter_gather', 'broadcast', 'ask', 'delegation', 'cascade', 'heal'] },
          state: { enum: ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED'] },
          created_at: { type: 'number' },
          updated_at: { type: 'number' },
          result: {},
          error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
        },
      },
      Agent: {
        type: 'object',
        required: ['agent_id', 'state'],
        properties: {
          agent_id: { type: 'string' },
          state: { type: 'string' },
          agent_class: { type: 'string' },
          cluster_id: { type: 'string' },
          system_health: { $ref: '#/components/schemas/SystemHealth' },
        },
      },
      SystemHealth: {
        type: 'object',
        description: "The agent's own health block as of its last heartbeat; null where the host reports nothing",
        required: ['conditions', 'degraded'],
        properties: {
          temperature_c: { type: ['number', 'null'] },
          cpu_load_pct: { type: ['number', 'null'] },
          memory_used_pct: { type: ['number', 'null'] },
          disk_used_pct: { type: ['number', 'null'] },
          uptime_s: { type: ['number', 'null'] },
          ntp_synchronized: { type: ['boolean', 'null'] },
          throttle: {
            type: ['object', 'null'],
            description: 'The firmware get_throttled word and its flags (now, and since boot)',
            properties: Object.fromEntries<Json>([
              ['raw', { type: 'integer' }],
              ...['under_voltage', 'freq_capped', 'throttled', 'soft_temp_limit'].flatMap((f): [string, Json][] => [
                [f, { type: 'boolean' }],
                [`${f}_since_boot`, { type: 'boolean' }],
              ]),
            ]),
          },
          conditions: { type: 'array', items: { enum: ['under_voltage', 'throttled', 'hot'] } },
          degraded: { type: 'boolean', description: 'a condition makes the lead count the agent as degraded (thresholds.hardware)' },
        },
      },
      SensorReading: {
        type: 'object',
        required: ['agent_id', 'sensor_id', 'kind', 'value', 'sampled_at', 'seq', 'received_at'],
        properties: {
          agent_id: { type: 'string' },
          sensor_id: { type: 'string' },
          kind: { enum: ['gpio.input', 'gpio.output', 'onewire.temperature', 'command'] },
          value: { description: 'number, boolean, string or null (null when the reading failed: see error)' },
          unit: { type: 'string' },
          error: { type: 'string' },
          sampled_at: { type: 'number', description: 'mesh time when the agent read the value' },
          seq: { type: 'integer', description: 'per sensor, counted by the agent across restarts' },
          boot_id: { type: 'string', description: 'the agent boot the reading was taken in; with seq, its identity' },
          received_at: { type: 'number' },
        },
      },
    },
  },
  paths: {
    '/health/live': { get: open('Liveness', ok('live')) },
    '/health/ready': { get: open('Readiness: NATS, store, registry', ok('ready')) },
    '/health/deep': { get: open('One signed probe round trip to an active agent', ok('an agent answered')) },
    '/metrics': { get: op('Prometheus text exposition', { '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } }) },
    '/v1/openapi.json': { get: op('This document', ok('OpenAPI 3.1')) },
    '/v1/status': { get: op('Lead status and the console status box', ok('status')) },
    '/v1/agents': {
      get: op('Agents, filtered, ordered by id', ok('a page', { type: 'object', properties: { agents: { type: 'array', items: { $ref: '#/components/schemas/Agent' } }, next_page_token: { type: 'string' } } }), {
        parameters: [query('state'), query('class'), query('capability'), query('cluster'), ...page],
      }),
    },
    '/v1/sensors': {
      get: op('Latest reading of every sensor, by agent then sensor', ok('a page', { type: 'object', properties: { sensors: { type: 'array', items: { $ref: '#/components/schemas/SensorReading' } }, next_page_token: { type: 'string' } } }), {
        parameters: [query('agent'), ...page],
      }),
    },
    '/v1/agents/{id}/sensors': {
      get: op('One agent\'s sensors and their latest readings', ok('the readings', { type: 'object', properties: { agent_id: { type: 'string' }, sensors: { type: 'array', items: { $ref: '#/components/schemas/SensorReading' } }, heartbeat: { type: ['object', 'null'], description: 'the sensors as the last heartbeat reports them, judged: ok, failing, stale, behind (docs/api.md)' } } }), { parameters: [idParam()] }),
    },
    '/v1/agents/{id}/sensors/{sensor}/history': {
      get: op('One sensor\'s readings, newest first (bounded per sensor)', ok('a page', { type: 'object', properties: { readings: { type: 'array', items: { $ref: '#/components/schemas/SensorReading' } }, next_page_token: { type: 'string' } } }), {
        parameters: [idParam(), idParam('sensor'), ...page],
      }),
    },
    '/v1/agents/{id}': { get: op('One agent', ok('the agent', { $ref: '#/components/schemas/Agent' }), { parameters: [idParam()] }) },
    ...Object.fromEntries(
      (['quarantine', 'recover', 'retire'] as const).map((action) => [
        `/v1/agents/{id}/${action}`,
        { post: op(`Operator ${action}`, ok('the agent after'), { parameters: [idParam()], requestBody: body({ type: 'object', properties: { reason: { type: 'string' } } }) }) },
      ]),
    ),
    '/v1/operations': {
      post: op('Start a job: scatter_gather, broadcast or ask', { '202': { description: 'job accepted', content: { 'application/json': { schema: job } } }, '409': problem, '422': problem, '503': problem }, {
        parameters: [idempotencyKey],
        requestBody: body({ type: 'object', properties: { kind: { enum: ['scatter_gather', 'broadcast', 'ask'] } } }),
      }),
      get: op('Jobs, newest first', ok('a page', { type: 'object', properties: { operations: { type: 'array', items: job }, next_page_token: { type: 'string' } } }), { parameters: [query('state'), ...page] }),
    },
    '/v1/operations/{id}': { get: op('One job', ok('the job', job), { parameters: [idParam()] }) },
    '/v1/operations/{id}/cancel': { post: op('Cancel a job (idempotent)', ok('the job', job), { parameters: [idParam()] }) },
    '/v1/freeze': { post: op('Freeze a scope', ok('outcome'), { requestBody: body({ type: 'object', required: ['scope'] }) }) },
    '/v1/thaw': { post: op('Thaw a scope', ok('outcome'), { requestBody: body({ type: 'object', required: ['scope'] }) }) },
    '/v1/mode': {
      get: op('Degradation mode, computed and override', ok('mode')),
      put: op('Set or clear the mode override', ok('mode'), { requestBody: body({ type: 'object', required: ['override'], properties: { override: { enum: ['FULL', 'DEGRADED_LIGHT', 'DEGRADED_MODERATE', 'DEGRADED_SEVERE', 'EMERGENCY', null] } } }) }),
    },
    '/v1/breakers': { get: op('Circuit breakers', ok('breakers')) },
    '/v1/breakers/{id}/force': {
      post: op('Force a breaker open, closed or back to auto', ok('the breaker'), { parameters: [idParam()], requestBody: body({ type: 'object', required: ['state'], properties: { state: { enum: ['open', 'closed', 'auto'] }, scope: { enum: ['cluster', 'sector', 'global'] } } }) }),
    },
    '/v1/conflicts': {
      get: op('The conflict log, newest first', ok('a page'), { parameters: [query('since', { type: 'integer' }), query('until', { type: 'integer' }), query('agent'), query('type'), query('min_priority', { type: 'integer' }), ...page] }),
    },
    '/v1/heal': { post: op('Recover quarantined agents, close half-open breakers (a job)', { '202': { description: 'job', content: { 'application/json': { schema: job } } } }, { parameters: [idempotencyKey], requestBody: body({ type: 'object', properties: { target: { type: 'string' } } }) }) },
    '/v1/cascades': { post: op('Start a cascade over the subtree', { '202': { description: 'cascade accepted' }, '503': problem }, { parameters: [idempotencyKey], requestBody: body({ type: 'object' }) }) },
    '/v1/cascades/{id}': { get: op('One cascade', ok('the cascade'), { parameters: [idParam()] }) },
    '/v1/delegations': { post: op('Delegate a task to the best agent', { '202': { description: 'delegation accepted' } }, { parameters: [idempotencyKey], requestBody: body({ type: 'object' }) }) },
    '/v1/delegations/{id}': { get: op('One delegation', ok('the delegation'), { parameters: [idParam()] }) },
    '/v1/edge-agents': {
      post: op('Register (or replace) an edge Worker', { ...ok('replaced'), ...ok('registered', { type: 'object' }, '201') }, { parameters: [idempotencyKey], requestBody: body({ type: 'object' }) }),
      get: op('Edge Workers, by id', ok('a page'), { parameters: page }),
    },
    '/v1/edge-agents/{id}': {
      get: op('One edge Worker', ok('the Worker'), { parameters: [idParam()] }),
      delete: op('Remove an edge Worker', { '204': { description: 'removed' } }, { parameters: [idParam()] }),
    },
    '/v1/dead-letters': {
      get: op('Dead letters (sends the lead gave up on), newest first', ok('a page', { type: 'object', properties: { dead_letters: { type: 'array', items: { type: 'object' } }, next_page_token: { type: 'string' } } }), {
        parameters: [query('kind'), ...page],
      }),
    },
    '/v1/dead-letters/{id}': {
      get: op('One dead letter', ok('the letter'), { parameters: [idParam()] }),
      delete: op('Drop a dead letter', { '204': { description: 'dropped' } }, { parameters: [idParam()] }),
    },
    '/v1/dead-letters/{id}/replay': {
      post: op('Deliver a dead letter again; deleted when delivered, kept (attempts + 1) when it fails again', { ...ok('replayed'), '409': problem, '503': problem }, { parameters: [idParam(), idempotencyKey] }),
    },
    '/v1/enrollments': {
      post: op('Enroll an agent (signed enrollment record)', { ...ok('enrolled', { type: 'object' }, '201'), '422': problem }, { parameters: [idempotencyKey], requestBody: body({ type: 'object', required: ['bytes'] }) }),
      get: op('Enrollment requests agents sent over NATS', ok('{ enrollments, lead_signs }'), { parameters: [query('state', { type: 'string', enum: ['pending', 'rejected', 'all'], default: 'pending' })] }),
    },
    '/v1/enrollments/{agent_id}/accept': {
      post: op('Accept a pending request: the lead signs it with the root key it holds', { ...ok('enrolled', { type: 'object' }, '201'), '409': problem, '422': problem }, { parameters: [idParam('agent_id'), idempotencyKey] }),
    },
    '/v1/enrollments/{agent_id}/reject': { post: op('Reject a pending request', ok('the rejected request'), { parameters: [idParam('agent_id'), idempotencyKey] }) },
    '/v1/enrollments/{agent_id}': { delete: op('Revoke an agent', { '204': { description: 'revoked' } }, { parameters: [idParam('agent_id')] }) },
  },
};
