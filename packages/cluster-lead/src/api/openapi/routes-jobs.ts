/** Jobs: operations (scatter_gather, broadcast, ask), heal, cascades and delegations. */
import { z } from 'zod';
import { CascadeRequest } from '../../cascade/request.js';
import { DelegationBody } from '../../delegation/api-body.js';
import { DelegationRequest } from '../../delegation/request.js';
import { OperationRequest } from '../../scatter/operation-request.js';
import { CascadeBody, FIELD_OF as CASCADE_FIELD_OF } from '../cascade-routes.js';
import { AskJobBody, BroadcastJobBody, ListQuery as JobListQuery, ScatterJobBody } from '../jobs-routes.js';
import { HealBody } from '../mesh-routes.js';
import { FIELD_OF as OPERATION_FIELD_OF } from '../operations-routes.js';
import { CascadeAcceptedSchema, CascadeSchema, DelegationAcceptedSchema, DelegationSchema, JobAcceptedSchema, JobPageSchema, JobSchema } from '../response-schemas.js';
import { engineFields } from './engine-fields.js';
import type { RouteDoc } from './route-doc.js';

const JOB_ID = { id: 'the operation (job) id' } as const;
const STARTED = 'Location: the job, to follow at /v1/operations/{id}';

export const JOB_ROUTES: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/operations',
    operationId: 'startOperation',
    tag: 'jobs',
    summary: 'Start a job: scatter_gather (default), broadcast or ask',
    description: 'The body is checked here for shape, then by the engine (OperationRequest) for values; both answer 400 naming the field.',
    body: {
      schema: z.union([ScatterJobBody, BroadcastJobBody, AskJobBody]),
      fields: engineFields(OperationRequest, OPERATION_FIELD_OF),
      example: { kind: 'scatter_gather', verb: 'record', payload: { command: 'arm' }, selector: { cluster_id: 'cluster-1' }, release_mode: 'auto', window_ms: 50, min_response_rate: 0.9 },
    },
    responses: { 202: { description: `job accepted; ${STARTED}`, schema: JobAcceptedSchema, headers: ['Location'] } },
    problems: {
      404: 'NOT_FOUND: operations (or ask) are not available on this lead',
      409: 'FROZEN: the lead is frozen; OPERATION_REFUSED: the engine refused (reason_code says why), or nobody to ask',
      413: 'PAYLOAD_TOO_LARGE: payload over the wire limit (field payload, limit_bytes)',
      503: 'SATURATED: too many operations in flight and queued; UNAVAILABLE: the engine is stopped',
    },
  },
  { method: 'get', path: '/v1/operations', operationId: 'listOperations', tag: 'jobs', summary: 'Jobs, newest first (paged)', query: JobListQuery, responses: { 200: { description: 'a page', schema: JobPageSchema } } },
  { method: 'get', path: '/v1/operations/{id}', operationId: 'getOperation', tag: 'jobs', summary: 'One job', params: JOB_ID, responses: { 200: { description: 'the job', schema: JobSchema } }, problems: { 404: 'NOT_FOUND: no such operation' } },
  {
    method: 'post',
    path: '/v1/operations/{id}/cancel',
    operationId: 'cancelOperation',
    tag: 'jobs',
    summary: 'Cancel a job (idempotent: an ended job is answered as it is)',
    params: JOB_ID,
    responses: { 200: { description: 'the job', schema: JobSchema } },
    problems: { 404: 'NOT_FOUND: no such operation' },
  },
  {
    method: 'post',
    path: '/v1/heal',
    operationId: 'heal',
    tag: 'jobs',
    summary: 'Recover quarantined agents and close half-open breakers, as a job',
    body: { schema: HealBody, example: { target: 'auto' } },
    responses: { 202: { description: `job accepted; ${STARTED}`, schema: JobAcceptedSchema, headers: ['Location'] } },
    problems: { 404: 'NOT_FOUND: heal is not available on this lead' },
  },
  {
    method: 'post',
    path: '/v1/cascades',
    operationId: 'startCascade',
    tag: 'jobs',
    summary: "Start a cascade over this lead's subtree",
    description: 'state is the Job state of the job at location; the cascade resource (cascade_location) keeps its own states.',
    body: {
      schema: CascadeBody,
      fields: engineFields(CascadeRequest, CASCADE_FIELD_OF),
      example: { cascade_id: 'cas-arm-1', strategy: 'wave', verb: 'record', payload: { command: 'arm' }, window_ms: 50 },
    },
    responses: { 202: { description: `cascade accepted (or the same cascade_id again: created false); ${STARTED}`, schema: CascadeAcceptedSchema, headers: ['Location'] } },
    problems: { 404: 'NOT_FOUND: cascades are not available on this lead', 503: 'UNAVAILABLE: not connected to NATS' },
  },
  { method: 'get', path: '/v1/cascades/{id}', operationId: 'getCascade', tag: 'jobs', summary: 'One cascade', params: { id: 'the cascade id' }, responses: { 200: { description: 'the cascade', schema: CascadeSchema } }, problems: { 404: 'NOT_FOUND: no such cascade' } },
  {
    method: 'post',
    path: '/v1/delegations',
    operationId: 'startDelegation',
    tag: 'jobs',
    summary: 'Delegate a task to the best agent (reassigned on failure)',
    body: {
      schema: DelegationBody,
      fields: engineFields(DelegationRequest, { delegationId: 'delegation_id', timeoutMs: 'timeout_ms', maxAttempts: 'max_attempts' }, ['task', 'to']),
      example: { task: { verb: 'observe', payload: { question: 'relay state?' } }, to: { capability: 'gpio' }, timeout_ms: 2_000, max_attempts: 3 },
    },
    responses: { 202: { description: `delegation accepted; ${STARTED}`, schema: DelegationAcceptedSchema, headers: ['Location'] } },
    problems: { 404: 'NOT_FOUND: delegation is not available on this lead' },
  },
  { method: 'get', path: '/v1/delegations/{id}', operationId: 'getDelegation', tag: 'jobs', summary: 'One delegation', params: { id: 'the delegation id' }, responses: { 200: { description: 'the delegation', schema: DelegationSchema } }, problems: { 404: 'NOT_FOUND: no such delegation' } },
];
