/**
 * The cascade service (src/cascade) as one of the lead's services: built once NATS is
 * connected (it serves subjects.summary(thisLead) on that connection), with this lead's scatter
 * engine as its RunScatter, the registry as its subtree, the trust store for child leads' keys
 * and the config's `parent` for the parent's. Cascades started through the API are kept here by
 * id (bounded: the oldest decided ones are forgotten first) for GET /v1/cascades/:id and the
 * status box's last_cascade.
 */
import { decodePublicKey, newMessageId, type Clock, type KeyResolver, type TrustStore } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { NatsConnection } from 'nats';
import type { CascadesApi, MeshStatusBox } from './api/index.js';
import { CascadeRequest, createCascadeService, registrySubtree, type CascadeResult, type CascadeService, type ChildTableStore } from './cascade/index.js';
import type { LeadConfig } from './config/index.js';
import type { ControlState } from './ingest/index.js';
import type { Logger } from './lib/logger.js';
import type { LeadService } from './lead-service.js';
import type { Registry } from './registry/index.js';
import { registryPorts } from './registry-ports.js';
import type { ScatterEngine } from './scatter/index.js';
import { enrollmentOf, type LeadIdentity } from './trust/index.js';

export type CascadeState = 'running' | 'completed' | 'failed';

export interface CascadeView {
  readonly cascadeId: string;
  readonly state: CascadeState;
  readonly startedAt: number;
  readonly result: CascadeResult | null;
  /** Why a cascade failed (it threw); null otherwise. */
  readonly error: string | null;
}

export type CascadeStartOutcome =
  | { readonly ok: true; readonly view: CascadeView; readonly created: boolean }
  | { readonly ok: false; readonly code: 'INVALID_CASCADE'; readonly path: string; readonly message: string }
  | { readonly ok: false; readonly code: 'NOT_CONNECTED'; readonly message: string };

export interface LeadCascadeDeps {
  readonly config: LeadConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly identity: LeadIdentity;
  readonly registry: Registry;
  readonly control: ControlState;
  readonly trust: TrustStore;
  readonly resolveKey: KeyResolver;
  readonly engine: ScatterEngine;
  /** Summaries on a timer (default true); tests call `service.sendSummary()`. */
  readonly timers: boolean;
  /** The child-lead table's rows in the lead's database (lead-child-store.ts). */
  readonly childStore?: ChildTableStore;
}

const ID_CHARS = /[^A-Za-z0-9_-]/g;

export class LeadCascades implements LeadService, CascadesApi {
  readonly name = 'cascade';
  private current: CascadeService | null = null;
  private readonly cascades = new Map<string, { view: CascadeView; done: Promise<void> }>();
  private last: MeshStatusBox['last_cascade'] = null;

  constructor(private readonly deps: LeadCascadeDeps) {}

  /** The running cascade service; null until NATS first connected, and after stop. */
  get service(): CascadeService | null {
    return this.current;
  }

  start(nc: NatsConnection): void {
    if (this.current !== null) return;
    const { config, clock, identity, registry, control, trust, resolveKey, engine } = this.deps;
    const ports = registryPorts(registry);
    const parent = config.parent;
    const parentKey = parent === undefined ? undefined : decodePublicKey(parent.public_key);
    const o = config.cascade;
    this.current = createCascadeService(
      {
        clock,
        identity: { leadId: config.lead_id, clusterId: config.cluster_id, sectorId: config.sector_id, signer: identity.signer },
        connection: nc,
        ed25519: nodeEd25519,
        runScatter: (request) => engine.submit(request),
        subtree: registrySubtree({ registry, targets: ports.targets, control, clusterId: config.cluster_id, sectorId: config.sector_id }),
        resolveChildKey: resolveKey,
        isChildLead: (id) => enrollmentOf(trust, id)?.role === 'lead',
        parent:
          parent === undefined || parentKey === undefined
            ? undefined
            : {
                leadId: parent.lead_id,
                resolveKey: (id) => (id === parent.lead_id ? { ok: true, value: parentKey } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: `${id} is not this lead's parent` } }),
              },
        ...(this.deps.childStore === undefined ? {} : { childStore: this.deps.childStore }),
        logger: this.deps.logger,
      },
      {
        summaryIntervalMs: o.summary_interval_ms,
        staleIntervals: o.stale_intervals,
        requestTimeoutMs: o.request_timeout_ms,
        childHandlingMs: o.child_handling_ms,
        slackMs: o.slack_ms,
        reportGraceMs: o.report_grace_ms,
        childGatherMs: o.child_gather_ms,
        timers: this.deps.timers,
      },
    );
    this.current.start();
  }

  /**
   * Stops the service. Not waited for: cascades still running see their children's reports
   * missing, and their own scatter is decided when the lead stops its engine right after.
   */
  stop(): void {
    this.current?.stop();
    this.current = null;
  }

  /** Settles once every cascade started here is decided (tests, and a drain). */
  async settled(): Promise<void> {
    await Promise.all([...this.cascades.values()].map((c) => c.done));
  }

  lastCascade(): MeshStatusBox['last_cascade'] {
    return this.last;
  }

  get(cascadeId: string): CascadeView | undefined {
    return this.cascades.get(cascadeId)?.view;
  }

  /**
   * Starts a cascade over this lead's subtree; returns at once (the cascade runs on). A request
   * naming a cascade_id this lead already knows returns that cascade instead of a second one.
   */
  submit(input: unknown): CascadeStartOutcome {
    const parsed = CascadeRequest.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.map(String).join('.') ?? '';
      return { ok: false, code: 'INVALID_CASCADE', path, message: `${path || '(body)'}: ${issue?.message ?? 'invalid'}` };
    }
    const known = parsed.data.cascadeId === undefined ? undefined : this.cascades.get(parsed.data.cascadeId);
    if (known !== undefined) return { ok: true, view: known.view, created: false };
    const service = this.current;
    if (service === null) return { ok: false, code: 'NOT_CONNECTED', message: 'the cascade service starts once NATS is connected' };
    const startedAt = this.deps.clock.now();
    const cascadeId = parsed.data.cascadeId ?? `cas-${newMessageId(startedAt).replace(ID_CHARS, '').slice(0, 26)}`;
    const entry: { view: CascadeView; done: Promise<void> } = {
      view: { cascadeId, state: 'running', startedAt, result: null, error: null },
      done: Promise.resolve(),
    };
    this.cascades.set(cascadeId, entry);
    this.forgetOld();
    entry.done = service.cascade({ ...parsed.data, cascadeId }).then(
      (result) => {
        entry.view = { ...entry.view, state: 'completed', result };
        this.last = { cascade_id: cascadeId, at: result.decidedAt, status: result.status };
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        entry.view = { ...entry.view, state: 'failed', error: message };
        this.last = { cascade_id: cascadeId, at: this.deps.clock.now(), status: 'FAILED' };
        this.deps.logger.error({ err: error, cascade_id: cascadeId }, 'cascade failed');
      },
    );
    return { ok: true, view: entry.view, created: true };
  }

  private forgetOld(): void {
    for (const [id, entry] of this.cascades) {
      if (this.cascades.size <= this.deps.config.cascade.keep) return;
      if (entry.view.state !== 'running') this.cascades.delete(id);
    }
  }
}

