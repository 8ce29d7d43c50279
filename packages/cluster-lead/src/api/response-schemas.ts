/**
 * Every JSON body the API answers, as zod schemas: the OpenAPI document is generated from
 * these (api/openapi), the JSON builders (api/*-json.ts) are typed with what they infer, and a
 * test checks live answers against them. A schema with a meta `id` becomes a named component.
 */
import { AgentClass, MeshMode, OperationStatus, OperationalState, Role, Scope, SensorKind, SensorValue, SystemHealth, ThrottleFlags } from '@mesh30k/shared';
import { z } from 'zod';

/** Mesh time, ms since the epoch; fractional (the lead's clock has sub-ms resolution). */
/** What a JSON builder returns for schema S: its inferred type, read-only all the way down (views hand out read-only arrays). */
export type Answer<S extends z.ZodType> = DeepReadonly<z.infer<S>>;
type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

const At = z.number().describe('mesh time, ms since the Unix epoch (may be fractional)');
const NullableAt = At.nullable();
const PageToken = z.string().optional().describe('present when another page exists: pass it back as page_token');

export const JOB_KINDS = ['scatter_gather', 'broadcast', 'ask', 'delegation', 'cascade', 'heal'] as const;
export const JobStateSchema = z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED']).meta({ id: 'JobState' });

export const ProblemSchema = z
  .looseObject({
    type: z.string().describe('urn:mesh30k:problem:<code in lower case>'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('this occurrence: what was wrong and where'),
    code: z.string().describe('stable, upper snake case: what clients switch on'),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    reason: z.string().optional().describe('401: why the credentials were refused'),
    reason_code: z.string().optional(),
    field: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('400: every invalid field (dotted body path or query parameter name)'),
  })
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details with a stable code; extension members vary by code',
    examples: [{ type: 'urn:mesh30k:problem:bad_request', title: 'Invalid query', status: 400, detail: 'page_size: must be a whole number', code: 'BAD_REQUEST', instance: '/v1/agents', request_id: 'r-5f2a9c0e1b7d3a46', errors: [{ field: 'page_size', message: 'must be a whole number' }] }],
  });

/** How a decided scatter-gather operation ended (shared's OperationStatus); FAILED_OVER also names the job's error code. */
export const OperationOutcomeSchema = OperationStatus.meta({
  id: 'OperationOutcome',
  description: 'SUCCESS: quorum met; PARTIAL: not met; FAILED_OVER: its lead died while it ran and the lead that took over could not complete it (result.interrupted.failed_over says why)',
});

export const JobSchema = z
  .object({
    operation_id: z.string(),
    kind: z.enum(JOB_KINDS),
    state: JobStateSchema,
    created_at: At,
    updated_at: At,
    result: z.unknown().optional().describe('the work\'s figures once decided (also on most failures)'),
    outcome: OperationOutcomeSchema.optional().describe('scatter_gather jobs once decided: result.status'),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .meta({ id: 'Job', examples: [{ operation_id: 'op-mc8x1k2a-3f9e0a1b2c', kind: 'scatter_gather', state: 'RUNNING', created_at: 1_800_000_000_000.25, updated_at: 1_800_000_000_000.25 }] });
export type JobJson = Answer<typeof JobSchema>;

/** A 202 that started a job: the job, and where to follow it (also the Location header). */
export const JobAcceptedSchema = JobSchema.extend({ location: z.string() }).meta({
  id: 'JobAccepted',
  examples: [{ operation_id: 'op-mc8x1k2a-3f9e0a1b2c', kind: 'heal', state: 'SUCCEEDED', created_at: 1_800_000_000_000.25, updated_at: 1_800_000_000_000.25, result: { target: 'auto', recovered: [], skipped: [], breakers_reset: [] }, location: '/v1/operations/op-mc8x1k2a-3f9e0a1b2c' }],
});

export const SystemHealthSchema = z
  .object({
    ...SystemHealth.shape,
    throttle: ThrottleFlags.nullable().describe('the firmware get_throttled word and its flags (now, and since boot)'),
    conditions: z.array(z.enum(['under_voltage', 'throttled', 'hot'])),
    degraded: z.boolean().describe('a condition makes the lead count the agent as degraded (thresholds.hardware)'),
  })
  .meta({ id: 'SystemHealth', description: "The agent's own health block as of its last heartbeat; null where the host reports nothing" });

export const AgentSchema = z
  .object({
    agent_id: z.string(),
    role: Role,
    agent_class: AgentClass,
    cluster_id: z.string(),
    sector_id: z.string(),
    capabilities: z.array(z.string()),
    state: OperationalState,
    state_since: At,
    routable: z.boolean().describe('active or degraded: routing may send to it (panic mode aside)'),
    last_heartbeat_at: NullableAt,
    first_seen_at: At,
    missed_beats: z.number().int(),
    seq: z.number().int(),
    heartbeats: z.number().int(),
    observed_interval_ms: z.number().nullable(),
    impedance: z.object({
      current_latency_ms: z.number(),
      current_processing_ms: z.number(),
      current_queue_depth: z.number(),
      impedance_score: z.number(),
      reliability_score: z.number(),
      drift_coefficient: z.number(),
      current_context_hash: z.string(),
      reported_degraded: z.boolean(),
    }),
    clock: z
      .object({
        offset_ms: z.number(),
        delay_ms: z.number(),
        drift_ppm: z.number(),
        confidence: z.number(),
        error_bound_ms: z.number(),
        samples: z.number().int(),
        jitter_ms: z.number().nullable(),
        reported_at_local: z.number(),
      })
      .nullable()
      .describe('the agent clock against the lead (offset = lead - agent); null before its first report'),
    anomalies: z.object({ degraded: z.boolean(), unstable: z.boolean(), spike: z.boolean() }),
    health: z.object({ state: z.enum(['healthy', 'quarantined', 'probation', 'retired']), score: z.number(), quarantine_deferred: z.boolean() }),
    system_health: SystemHealthSchema,
    frozen: z.boolean(),
    outbox_depth: z.number().int(),
    probe: z.object({ state: z.enum(['idle', 'pending', 'failed']), last_rtt_ms: z.number().nullable() }),
  })
  .meta({ id: 'Agent' });
export type AgentJson = Answer<typeof AgentSchema>;

export const AgentPageSchema = z.object({ agents: z.array(AgentSchema), next_page_token: PageToken });
export const AgentActionSchema = z.object({ agent_id: z.string(), action: z.enum(['quarantine', 'recover', 'retire']), state: OperationalState, health: AgentSchema.shape.health.shape.state });

export const SensorReadingSchema = z
  .object({
    agent_id: z.string(),
    sensor_id: z.string(),
    kind: SensorKind,
    value: SensorValue.describe('number, boolean, string or null (null when the reading failed: see error)'),
    unit: z.string().optional(),
    error: z.string().optional(),
    sampled_at: At.describe('mesh time when the agent read the value'),
    seq: z.number().int().describe('per sensor, counted by the agent across restarts'),
    boot_id: z.string().optional().describe('the agent boot the reading was taken in; with seq, its identity'),
    received_at: At,
  })
  .meta({ id: 'SensorReading' });
export type SensorReadingJson = Answer<typeof SensorReadingSchema>;

export const SensorHealthSchema = z
  .object({
    reported_at: At.describe('lead clock when the heartbeat carrying the summary arrived'),
    ok: z.number().int(),
    failing: z.number().int(),
    stale: z.number().int(),
    sensors: z.array(
      z.object({
        sensor_id: z.string(),
        kind: z.string().nullable(),
        value: SensorValue,
        unit: z.string().optional(),
        sampled_at: At,
        seq: z.number().int(),
        age_ms: z.number(),
        status: z.enum(['ok', 'failing', 'stale']),
        behind: z.number().int().describe('readings the agent took that the lead has not stored (0 when it cannot tell)'),
      }),
    ),
  })
  .meta({ id: 'SensorHealth', description: 'the sensors as the last heartbeat reports them, judged: ok, failing, stale, behind (docs/api.md)' });

export const SensorPageSchema = z.object({ sensors: z.array(SensorReadingSchema), next_page_token: PageToken });
export const AgentSensorsSchema = z.object({ agent_id: z.string(), sensors: z.array(SensorReadingSchema), heartbeat: SensorHealthSchema.nullable() });
export const SensorHistorySchema = z.object({ agent_id: z.string(), sensor_id: z.string(), readings: z.array(SensorReadingSchema), next_page_token: PageToken });

/** GET /v1/agents/:id/history: what the lead remembers of one agent, in memory only (registry.history_samples). */
export const AgentHistorySchema = z
  .object({
    agent_id: z.string(),
    capacity: z.number().int().describe('samples kept per agent (registry.history_samples); 0: history is off'),
    spacing_ms: z.number().describe('the heartbeat interval: at most one sample per interval'),
    samples: z
      .array(
        z.object({
          at: At.describe('lead clock when the heartbeat arrived, to 0.1 s'),
          impedance_score: z.number().nullable(),
          offset_ms: z.number().nullable().describe('lead minus agent clock, as the agent estimated it'),
          error_bound_ms: z.number().nullable().describe("the clock estimator's error bound"),
        }),
      )
      .describe('oldest first; scores to 0.02, offsets to 1 µs, error bounds to 1 µs below 16 ms and 0.031% above (registry/history-codec.ts)'),
    outcomes: z
      .array(
        z.object({
          at: At,
          operation_id: z.string().nullable(),
          result: z.enum(['success', 'cache_hit', 'error', 'stall', 'timeout', 'cancelled', 'retry']),
          processing_ms: z.number().nullable(),
        }),
      )
      .describe('newest first: the operation outcomes that fed its health score'),
  })
  .meta({
    id: 'AgentHistory',
    examples: [{ agent_id: 'pi-07', capacity: 120, spacing_ms: 5_000, samples: [{ at: 1_800_000_000_000, impedance_score: 41.5, offset_ms: -0.84, error_bound_ms: 1.9 }], outcomes: [{ at: 1_800_000_002_000, operation_id: 'op-mc8x1k2a-3f9e0a1b2c', result: 'success', processing_ms: 12.5 }] }],
  });
export type AgentHistoryJson = Answer<typeof AgentHistorySchema>;

/** GET /v1/tree: this lead and the child leads that send it summaries, each with its subtree's figures. */
const SubtreeCountsSchema = z.object({ active: z.number().int(), degraded: z.number().int(), offline: z.number().int(), quarantined: z.number().int() });
export const ChildLeadSchema = z
  .object({
    lead_id: z.string(),
    cluster_id: z.string(),
    sector_id: z.string().nullable(),
    liveness: z.enum(['live', 'stale']).describe('stale: no summary within cascade.summary_interval_ms × stale_intervals'),
    received_at: At.describe('when its last summary arrived'),
    first_seen_at: At,
    summaries: z.number().int(),
    hop_ms: z.number(),
    agent_count: z.number().int().describe('agents in its whole subtree'),
    by_state: SubtreeCountsSchema,
    impedance: z.object({ mean: z.number(), p50: z.number(), p95: z.number(), max: z.number() }),
    max_lead_time_ms: z.number(),
    mode: MeshMode,
    frozen: z.boolean(),
  })
  .meta({ id: 'ChildLead' });
export type ChildLeadJson = Answer<typeof ChildLeadSchema>;
export const LeadTreeSchema = z
  .object({
    lead_id: z.string(),
    cluster_id: z.string(),
    sector_id: z.string().nullable(),
    parent_lead_id: z.string().nullable(),
    agents_active: z.number().int().describe('the status box: its own agents and its live children\'s'),
    agents_total: z.number().int(),
    mode: MeshMode,
    frozen: z.boolean(),
    children: z.array(ChildLeadSchema).describe('by lead id; a child reports its subtree as a whole, not its own children'),
  })
  .meta({ id: 'LeadTree' });
export type LeadTreeJson = Answer<typeof LeadTreeSchema>;

export const JobPageSchema = z.object({ operations: z.array(JobSchema), next_page_token: PageToken });

export const FreezeOutcomeSchema = z.object({
  action: z.enum(['FREEZE', 'THAW']),
  scope: Scope,
  target_id: z.string().nullable(),
  message_id: z.string(),
  published: z.boolean().describe('false when the notice could not be published now (agents still learn it from heartbeat replies)'),
  lead_frozen: z.boolean(),
});
export type FreezeOutcomeJson = Answer<typeof FreezeOutcomeSchema>;

export const ModeSchema = z.object({ mode: MeshMode, computed: MeshMode, override: MeshMode.nullable() });

export const BreakerSchema = z
  .object({
    scope: Scope,
    target_id: z.string(),
    state: z.enum(['closed', 'open', 'half-open']),
    failures_in_window: z.number().int(),
    failed_probes: z.number().int(),
    opened_at: NullableAt,
    next_check_at: NullableAt,
    trials_left: z.number().int().nullable(),
    metrics_only: z.boolean(),
  })
  .meta({
    id: 'Breaker',
    examples: [{ scope: 'sector', target_id: 'sector-2', state: 'open', failures_in_window: 0, failed_probes: 1, opened_at: 1_800_000_000_000, next_check_at: 1_800_000_030_000, trials_left: null, metrics_only: false }],
  });
export type BreakerJson = Answer<typeof BreakerSchema>;
export const BreakerListSchema = z.object({ breakers: z.array(BreakerSchema) });
const BreakerState = z.enum(['closed', 'open', 'half-open']);
export const BreakerTransitionSchema = z
  .object({
    seq: z.number().int().min(1).describe('1, 2, 3... in the order the lead recorded them; ask for those after the last seen with after='),
    at: At,
    scope: Scope,
    target_id: z.string(),
    from: BreakerState,
    to: BreakerState,
    kind: z.string().describe('opened, half-opened, closed; would-open... for a metrics-only breaker'),
    reason: z.string(),
    shadow: z.boolean().describe('a metrics-only breaker: what it would have done; routing did not change'),
  })
  .meta({
    id: 'BreakerTransition',
    examples: [{ seq: 12, at: 1_800_000_000_000.5, scope: 'cluster', target_id: 'cluster-2', from: 'closed', to: 'open', kind: 'opened', reason: '6 failures in 60000 ms', shadow: false }],
  });
export type BreakerTransitionJson = Answer<typeof BreakerTransitionSchema>;
export const BreakerHistorySchema = z.object({
  transitions: z.array(BreakerTransitionSchema).describe('oldest first'),
  capacity: z.number().int().describe('transitions the lead keeps (in memory, lost on restart); older ones are dropped'),
  dropped: z.number().int().describe('transitions dropped from the log since the lead started'),
  now: At.describe("the lead's clock when it answered: where the last state's band ends"),
});
/** A forced breaker the set does not list yet answers only what was asked. */
export const ForcedBreakerSchema = z.union([BreakerSchema, z.object({ scope: Scope, target_id: z.string(), state: z.enum(['open', 'closed', 'auto']) })]);

export const ConflictSchema = z
  .object({
    seq: z.number().int(),
    conflict_id: z.string(),
    received_at: At,
    agent_id: z.string(),
    operation_id: z.string().nullable(),
    type: z.string(),
    priority: z.number().int(),
    signer_id: z.string(),
    report: z.unknown().describe('the signed CONFLICT_REPORT as logged; null when the stored bytes are not JSON'),
  })
  .meta({ id: 'Conflict' });
export type ConflictJson = Answer<typeof ConflictSchema>;
export const ConflictPageSchema = z.object({ conflicts: z.array(ConflictSchema), next_page_token: PageToken });

export const CascadeAcceptedSchema = z
  .object({
    cascade_id: z.string(),
    operation_id: z.string(),
    kind: z.literal('cascade'),
    state: JobStateSchema,
    created: z.boolean().describe('false when a cascade with this id already ran or runs (the same one is answered)'),
    location: z.string().describe('the job: /v1/operations/<id>'),
    cascade_location: z.string().describe('the cascade resource: /v1/cascades/<id>'),
  })
  .meta({
    id: 'CascadeAccepted',
    examples: [{ cascade_id: 'cas-arm-1', operation_id: 'cas-arm-1', kind: 'cascade', state: 'RUNNING', created: true, location: '/v1/operations/cas-arm-1', cascade_location: '/v1/cascades/cas-arm-1' }],
  });
export const CascadeSchema = z
  .object({
    cascade_id: z.string(),
    state: z.enum(['running', 'completed', 'failed']).describe("the cascade engine's own state (the job at /v1/operations/<id> uses the Job states)"),
    started_at: At,
    error: z.string().nullable(),
    result: z.unknown(),
  })
  .meta({ id: 'Cascade' });
export type CascadeJson = Answer<typeof CascadeSchema>;

export const DelegationAcceptedSchema = z
  .object({
    delegation_id: z.string(),
    operation_id: z.string(),
    kind: z.literal('delegation'),
    state: JobStateSchema,
    location: z.string().describe('the job: /v1/operations/<id>'),
    delegation_location: z.string().describe('the delegation resource: /v1/delegations/<id>'),
  })
  .meta({
    id: 'DelegationAccepted',
    examples: [{ delegation_id: 'dlg-1', operation_id: 'dlg-1', kind: 'delegation', state: 'RUNNING', location: '/v1/operations/dlg-1', delegation_location: '/v1/delegations/dlg-1' }],
  });
export const DelegationSchema = z
  .object({
    delegation_id: z.string(),
    state: z.enum(['running', 'completed']),
    started_at: At,
    result: z.unknown().describe('null while running; then status, agent_id, attempts, elapsed_ms and the agent\'s result'),
  })
  .meta({ id: 'Delegation' });

const EdgeProbeSchema = z.object({
  last_probe_at: NullableAt,
  ok: z.boolean().nullable(),
  last_ok_at: NullableAt,
  last_error: z.string().nullable(),
  rtt_ms: z.number().nullable(),
  breaker: z.string(),
});
export const EdgeAgentSchema = z
  .object({
    agent_id: z.string(),
    url: z.string(),
    class: z.string(),
    capabilities: z.array(z.string()),
    cluster_id: z.string(),
    public_key: z.string(),
    probe: EdgeProbeSchema.optional().describe("the lead's probes of this Worker"),
  })
  .meta({ id: 'EdgeAgent' });
export const EdgeAgentRegisteredSchema = EdgeAgentSchema.partial().extend({ replaced: z.boolean(), location: z.string() });
export const EdgeAgentPageSchema = z.object({ edge_agents: z.array(EdgeAgentSchema), next_page_token: PageToken });

export const DeadLetterSchema = z
  .object({
    id: z.number().int(),
    created_at: At,
    kind: z.string(),
    operation_id: z.string().nullable(),
    agent_id: z.string().nullable(),
    reason: z.string(),
    attempts: z.number().int(),
    payload: z.unknown(),
  })
  .meta({ id: 'DeadLetter' });
export type DeadLetterJson = Answer<typeof DeadLetterSchema>;
export const DeadLetterPageSchema = z.object({ dead_letters: z.array(DeadLetterSchema), next_page_token: PageToken });
export const ReplayedSchema = z.object({ id: z.number().int(), replayed: z.literal(true), detail: z.string(), started_as: z.string().optional() });

export const EnrolledSchema = z.object({ agent_id: z.string(), expires_at: At });
export const PendingEnrollmentSchema = z
  .object({
    agent_id: z.string(),
    state: z.enum(['pending', 'rejected']),
    public_key: z.string(),
    class: z.string(),
    capabilities: z.array(z.string()),
    cluster_id: z.string(),
    sector_id: z.string().optional(),
    first_seen_at: At,
    last_seen_at: At,
    requests: z.number().int(),
    decided_at: At.optional(),
    reason: z.string().optional(),
    request: z.unknown().describe("the agent's signed request, as it came"),
  })
  .meta({ id: 'PendingEnrollment' });
export const EnrollmentListSchema = z.object({ enrollments: z.array(PendingEnrollmentSchema), lead_signs: z.boolean().describe('accept signs on the lead (it holds the mesh root key)') });

const CheckSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() });
export const LiveSchema = z.object({ status: z.literal('live') });
export const ReadySchema = z.object({ status: z.literal('ready'), checks: z.array(CheckSchema) });
export const DeepHealthSchema = z.object({ status: z.literal('ok'), agent_id: z.string(), rtt_ms: z.number(), age_ms: z.number().describe('how old this cached probe is (api.deep_health_cache_ms)') });

export const MeshStatusBoxSchema = z
  .object({
    agents_active: z.number().int(),
    agents_total: z.number().int(),
    sectors_healthy: z.number().int(),
    sectors_total: z.number().int(),
    mean_impedance: z.number().nullable().describe('mean impedance score of the routable agents; null with none'),
    conflicts_last_hour: z.number().int(),
    mode: MeshMode,
    frozen: z.boolean(),
    last_cascade: z.object({ cascade_id: z.string(), at: At, status: z.string() }).nullable(),
    operations: z.object({ in_flight: z.number().int(), queued: z.number().int() }),
  })
  .describe("the spec's status box, as data");

/** GET /v1/status `mesh`, as the console, the dashboard and the demo read it. */
export type MeshStatusBox = z.infer<typeof MeshStatusBoxSchema>;

export const LeadStatusSchema = z
  .object({
    lead_id: z.string(),
    cluster_id: z.string(),
    agents: z.object({ total: z.number().int(), by_state: z.record(z.string(), z.number().int()), retired: z.number().int(), quarantine_deferred: z.number().int() }),
    mode: MeshMode,
    panic: z.boolean(),
    healthy_share: z.number(),
    frozen: z.boolean(),
    config_epoch: z.number(),
    guard: z.object({ factor: z.number(), reasons: z.array(z.string()) }),
    nats: z.object({ connected: z.boolean() }),
    ingest: z.object({ accepted: z.number().int(), refused: z.record(z.string(), z.number().int()), verify_threads: z.number().int() }),
    mesh: MeshStatusBoxSchema,
    alert: z.object({ active: z.boolean(), since: NullableAt, mode: MeshMode, reason: z.string().nullable() }).optional(),
  })
  .meta({ id: 'LeadStatus' });

/** The OpenAPI document itself: checked for real by an OpenAPI validator in the tests. */
export const OpenApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });
