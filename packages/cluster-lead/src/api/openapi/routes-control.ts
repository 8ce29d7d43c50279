/** Freeze and thaw, mode, breakers, conflicts, dead letters, edge agents and enrollments. */
import { z } from 'zod';
import { EdgeAgentInput } from '../../edge/edge-agent.js';
import { BreakerHistoryQuery } from '../breaker-history-routes.js';
import { FreezeBody } from '../control-routes.js';
import { ListQuery as DeadLetterListQuery } from '../dead-letters-routes.js';
import { EnrolledWorker, ListQuery as EdgeListQuery } from '../edge-routes.js';
import { AcceptBody, ListQuery as EnrollmentListQuery, RejectBody, SignedEnrollment } from '../enrollment-routes.js';
import { ConflictsQuery, ForceBody, ModeBody } from '../mesh-routes.js';
import {
  BreakerHistorySchema,
  BreakerListSchema,
  ConflictPageSchema,
  DeadLetterPageSchema,
  DeadLetterSchema,
  EdgeAgentPageSchema,
  EdgeAgentRegisteredSchema,
  EdgeAgentSchema,
  EnrolledSchema,
  EnrollmentListSchema,
  ForcedBreakerSchema,
  FreezeOutcomeSchema,
  ModeSchema,
  PendingEnrollmentSchema,
  ReplayedSchema,
} from '../response-schemas.js';
import type { RouteDoc } from './route-doc.js';

const LETTER_ID = { id: 'the dead letter id (a whole number)' } as const;
const ENROLLEE = { agent_id: 'the enrolled (or requesting) agent id' } as const;
const SIGNED = { bytes: 'eyJhZ2VudF9pZCI6InBpLTAxIiwi', signature: 'hR3mQ0v9c2lnbmF0dXJl', signer_key_id: 'root-1' };

export const CONTROL_ROUTES: readonly RouteDoc[] = [
  ...(['freeze', 'thaw'] as const).map(
    (action): RouteDoc => ({
      method: 'post',
      path: `/v1/${action}`,
      operationId: action,
      tag: 'control',
      summary: `${action === 'freeze' ? 'Freeze' : 'Thaw'} a scope: cluster, sector (target_id) or global`,
      body: { schema: FreezeBody, example: { scope: 'sector', target_id: 'sector-2', reason: 'maintenance' } },
      responses: { 200: { description: 'what was published', schema: FreezeOutcomeSchema } },
      problems: { 404: 'NOT_FOUND: freeze is not available on this lead', 422: 'BAD_REQUEST: preserve_state_to is not supported (agents keep their state themselves)' },
    }),
  ),
  { method: 'get', path: '/v1/mode', operationId: 'getMode', tag: 'control', summary: 'Degradation mode: in force, computed and override', responses: { 200: { description: 'the mode', schema: ModeSchema } }, problems: { 404: 'NOT_FOUND: the mode is not available' } },
  {
    method: 'put',
    path: '/v1/mode',
    operationId: 'setModeOverride',
    tag: 'control',
    summary: 'Set the mode override, or clear it with null',
    body: { schema: ModeBody, example: { override: 'DEGRADED_LIGHT' } },
    responses: { 200: { description: 'the mode after', schema: ModeSchema } },
    problems: { 404: 'NOT_FOUND: the mode is not available' },
  },
  { method: 'get', path: '/v1/breakers', operationId: 'listBreakers', tag: 'control', summary: 'Circuit breakers', responses: { 200: { description: 'the breakers', schema: BreakerListSchema } }, problems: { 404: 'NOT_FOUND: breakers are not available' } },
  {
    method: 'get',
    path: '/v1/breakers/history',
    operationId: 'breakerHistory',
    tag: 'control',
    summary: "The lead's last breaker transitions, oldest first",
    description: 'Kept in memory (a ring of `capacity`, lost on restart): enough to draw each breaker\'s state over time. Poll with after= the last seq seen; the dashboard also gets each transition live on /ui/events (event `breaker`).',
    query: BreakerHistoryQuery,
    responses: { 200: { description: 'the transitions', schema: BreakerHistorySchema } },
    problems: { 404: 'NOT_FOUND: no breaker history on this lead' },
  },
  {
    method: 'post',
    path: '/v1/breakers/{id}/force',
    operationId: 'forceBreaker',
    tag: 'control',
    summary: 'Force a breaker open, closed, or back to its own rules (auto)',
    params: { id: 'the cluster or sector id the breaker guards' },
    body: { schema: ForceBody, example: { state: 'open', scope: 'sector', reason: 'relay bank rewiring' } },
    responses: { 200: { description: 'the breaker after', schema: ForcedBreakerSchema } },
    problems: { 400: 'BAD_REQUEST: the id names a cluster and a sector breaker; add scope', 404: 'NOT_FOUND: no breaker for the id yet and no scope given, or forcing is not available' },
  },
  {
    method: 'get',
    path: '/v1/conflicts',
    operationId: 'listConflicts',
    tag: 'control',
    summary: 'The conflict log, newest first (paged); since and until are mesh times, fractional ms allowed',
    query: ConflictsQuery,
    responses: { 200: { description: 'a page', schema: ConflictPageSchema } },
    problems: { 404: 'NOT_FOUND: the conflict log is not available' },
  },
  {
    method: 'get',
    path: '/v1/dead-letters',
    operationId: 'listDeadLetters',
    tag: 'dead-letters',
    summary: 'Dead letters (sends the lead gave up on), newest first (paged)',
    query: DeadLetterListQuery,
    responses: { 200: { description: 'a page', schema: DeadLetterPageSchema } },
    problems: { 404: 'NOT_FOUND: dead letters are not available' },
  },
  { method: 'get', path: '/v1/dead-letters/{id}', operationId: 'getDeadLetter', tag: 'dead-letters', summary: 'One dead letter', params: LETTER_ID, responses: { 200: { description: 'the letter', schema: DeadLetterSchema } }, problems: { 404: 'NOT_FOUND: no such letter' } },
  { method: 'delete', path: '/v1/dead-letters/{id}', operationId: 'dropDeadLetter', tag: 'dead-letters', summary: 'Drop a dead letter', params: LETTER_ID, responses: { 204: { description: 'dropped' } }, problems: { 404: 'NOT_FOUND: no such letter' } },
  {
    method: 'post',
    path: '/v1/dead-letters/{id}/replay',
    operationId: 'replayDeadLetter',
    tag: 'dead-letters',
    summary: 'Deliver a dead letter again: deleted when delivered, kept (attempts + 1) when it fails again',
    params: LETTER_ID,
    responses: { 200: { description: 'delivered', schema: ReplayedSchema } },
    problems: { 404: 'NOT_FOUND: no such letter', 409: 'NOT_REPLAYABLE: stale, or nothing can send its kind (reason_code)', 503: 'UNAVAILABLE: delivery failed again (the letter is kept)' },
  },
  {
    method: 'post',
    path: '/v1/edge-agents',
    operationId: 'registerEdgeAgent',
    tag: 'edge',
    summary: 'Register (or replace) an edge Worker: its fields, or { url, enrollment } signed by a mesh root',
    body: {
      schema: z.union([EdgeAgentInput, EnrolledWorker]),
      example: { agent_id: 'edge-fra-1', url: 'https://mesh-edge.example.workers.dev', capabilities: ['http'], cluster_id: 'cluster-1', public_key: 'qtx-Oj9A4NtR1zkGdwcpiwnjxrT4DniJkmHr9GcoWYw' },
    },
    responses: {
      200: { description: 'replaced', schema: EdgeAgentRegisteredSchema, headers: ['Location'] },
      201: { description: 'registered', schema: EdgeAgentRegisteredSchema, headers: ['Location'] },
    },
    problems: { 404: 'NOT_FOUND: this lead cannot register Workers by enrollment', 422: 'ENROLLMENT_REFUSED: the enrollment does not verify (reason_code)' },
  },
  { method: 'get', path: '/v1/edge-agents', operationId: 'listEdgeAgents', tag: 'edge', summary: 'Edge Workers, by id (paged)', query: EdgeListQuery, responses: { 200: { description: 'a page', schema: EdgeAgentPageSchema } } },
  { method: 'get', path: '/v1/edge-agents/{id}', operationId: 'getEdgeAgent', tag: 'edge', summary: 'One edge Worker', params: { id: 'the Worker agent id' }, responses: { 200: { description: 'the Worker', schema: EdgeAgentSchema } }, problems: { 404: 'NOT_FOUND: no such Worker' } },
  { method: 'delete', path: '/v1/edge-agents/{id}', operationId: 'removeEdgeAgent', tag: 'edge', summary: 'Remove an edge Worker', params: { id: 'the Worker agent id' }, responses: { 204: { description: 'removed' } }, problems: { 404: 'NOT_FOUND: no such Worker' } },
  {
    method: 'post',
    path: '/v1/enrollments',
    operationId: 'enrollAgent',
    tag: 'enrollments',
    summary: 'Enroll an agent with a signed enrollment record (mesh-lead enroll)',
    body: { schema: SignedEnrollment, example: SIGNED },
    responses: { 201: { description: 'enrolled; Location: the agent', schema: EnrolledSchema, headers: ['Location'] } },
    problems: { 422: 'ENROLLMENT_REFUSED: the record does not verify against the mesh roots (reason_code)' },
  },
  {
    method: 'get',
    path: '/v1/enrollments',
    operationId: 'listEnrollmentRequests',
    tag: 'enrollments',
    summary: 'Enrollment requests agents sent over NATS',
    query: EnrollmentListQuery,
    responses: { 200: { description: 'the requests', schema: EnrollmentListSchema } },
  },
  {
    method: 'post',
    path: '/v1/enrollments/{agent_id}/accept',
    operationId: 'acceptEnrollmentRequest',
    tag: 'enrollments',
    summary: 'Accept a pending request: the lead signs it with the root key it holds (terms optional)',
    params: ENROLLEE,
    body: { schema: AcceptBody, optional: true, example: { expires_days: 365, capabilities: ['gpio', 'onewire'] } },
    responses: { 201: { description: 'enrolled; Location: the agent', schema: EnrolledSchema, headers: ['Location'] } },
    problems: { 404: 'NOT_FOUND: no pending request from this agent', 409: 'ROOT_KEY_ABSENT: the lead does not hold the mesh root key', 422: 'ENROLLMENT_REFUSED: the signed record does not verify (reason_code)' },
  },
  {
    method: 'post',
    path: '/v1/enrollments/{agent_id}/reject',
    operationId: 'rejectEnrollmentRequest',
    tag: 'enrollments',
    summary: 'Reject a pending request',
    params: ENROLLEE,
    body: { schema: RejectBody, optional: true, example: { reason: 'not one of ours' } },
    responses: { 200: { description: 'the rejected request', schema: PendingEnrollmentSchema } },
    problems: { 404: 'NOT_FOUND: no request from this agent' },
  },
  { method: 'delete', path: '/v1/enrollments/{agent_id}', operationId: 'revokeEnrollment', tag: 'enrollments', summary: 'Revoke an agent', params: ENROLLEE, responses: { 204: { description: 'revoked' } }, problems: { 404: 'NOT_FOUND: no enrollment for this agent' } },
];
