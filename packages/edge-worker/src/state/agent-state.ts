import { DurableObject } from 'cloudflare:workers';
import type { Clock } from '@mesh30k/shared';
import { parseStateConfig } from '../config/config.js';
import { systemClock } from '../clock/system-clock.js';
import { ConflictQuarantine, type QuarantinedConflict } from './conflict-quarantine.js';
import { ContextChain } from './context-chain.js';
import { LeaseFences } from './lease-fences.js';
import { ProcessingLog } from './processing-log.js';
import { SeenIds } from './seen-ids.js';
import { migrate, readKv, writeKv } from './sql-schema.js';
import type { AdmitRequest, AdmitResult, AgentSnapshot, CompleteRequest, CompleteResult } from './types.js';

const OFFSET_KEY = 'clock_offset_ms';
const FROZEN_KEY = 'frozen';

/**
 * The state of one Worker agent that must outlive a request and an isolate (SQLite-backed
 * Durable Object, one per AGENT_ID): seen message ids, context hash, the clock offset the lead
 * last gave, the highest lease epoch per lead, processing statistics and quarantined
 * conflicts. Called over RPC; one call admits
 * a message and returns what the request needs, one more completes a COORDINATE.
 */
export class AgentState extends DurableObject<Env> {
  private readonly clock: Clock = systemClock;
  private readonly seen: SeenIds;
  private readonly processing: ProcessingLog;
  private readonly context: ContextChain;
  private readonly quarantine: ConflictQuarantine;
  private readonly fences: LeaseFences;
  private offsetMs: number | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    migrate(sql);
    this.seen = new SeenIds(sql, { local: this.clock, skewMs: parseStateConfig(env as unknown as Record<string, unknown>).replaySkewMs });
    this.processing = new ProcessingLog(sql);
    this.context = new ContextChain(sql);
    this.quarantine = new ConflictQuarantine(sql);
    this.fences = new LeaseFences(sql);
    // SQLite calls are synchronous, so the object is whole before its first call.
    const stored = readKv(sql, OFFSET_KEY);
    this.offsetMs = stored === undefined ? undefined : Number(stored);
    this.seen.load(this.offsetMs ?? 0);
    this.processing.load();
    this.context.load();
  }

  admit(request: AdmitRequest): AdmitResult {
    const given = request.clockOffsetMs;
    const offset = given !== undefined && Number.isFinite(given) ? given : (this.offsetMs ?? 0);
    // A fenced lead's message is refused before its id is remembered or its offset taken.
    const fenced = request.leadId === undefined ? null : this.fences.refusal(request.leadId, request.leaseEpoch);
    if (fenced !== null) return { ok: false, code: 'LEASE_FENCED', message: fenced };
    const admitted = this.seen.admit(request.messageId, request.createdAt, request.ttlMs, offset);
    if (!admitted.ok) return admitted;
    if (request.leadId !== undefined) this.fences.admitted(request.leadId, request.leaseEpoch);
    if (given !== undefined && Number.isFinite(given) && given !== this.offsetMs) {
      this.offsetMs = given;
      writeKv(this.ctx.storage.sql, OFFSET_KEY, String(given));
    }
    if (request.kind === 'COORDINATE') this.processing.started(request.messageId, this.clock.now());
    return { ok: true, snapshot: this.snapshot(offset) };
  }

  async complete(request: CompleteRequest): Promise<CompleteResult> {
    this.processing.finished(request.coordinateId, request.processingMs);
    if (request.conflict) {
      this.quarantine.add({
        at: this.clock.now(),
        coordinateId: request.coordinateId,
        operationId: request.operationId,
        detail: request.conflict,
      });
    }
    const contextHash = request.advanceWith === undefined ? this.context.hash : await this.context.advance(request.advanceWith);
    return { contextHash };
  }

  /** The highest lease epoch admitted from `leadId`: for operators and tests. */
  leaseEpoch(leadId: string): number | undefined {
    return this.fences.current(leadId);
  }

  /** Quarantined conflicts, newest first: for operators and tests. */
  conflicts(limit?: number): QuarantinedConflict[] {
    return this.quarantine.list(limit);
  }

  private snapshot(offsetMs: number): AgentSnapshot {
    return {
      contextHash: this.context.hash,
      clockOffsetMs: offsetMs,
      offsetKnown: this.offsetMs !== undefined,
      frozen: readKv(this.ctx.storage.sql, FROZEN_KEY) === 'true',
      stats: this.processing.stats(),
    };
  }
}
