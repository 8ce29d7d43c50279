/**
 * A short, bounded memory of each agent for the dashboard: its last few impedance scores,
 * clock offsets and error bounds (at most one per heartbeat interval), and its last few
 * operation outcomes. At 30,000 agents this must stay small, so nothing is an object per
 * sample: agents get a slot in chunks of typed arrays, times are stored as Int32 tenths of a
 * second from the first sample the lead took, values as Float32. Memory: 16 bytes per sample
 * and 17 per outcome, per agent (120 samples and 16 outcomes: about 2.2 KB, 66 MB at 30,000).
 * Nothing is persisted: a restarted lead starts with empty rings.
 */
import type { HealthOutcome } from '@mesh30k/shared';

/** 120 samples at one per 5 s heartbeat: the last ten minutes. */
export const DEFAULT_HISTORY_SAMPLES = 120;
export const DEFAULT_HISTORY_OUTCOMES = 16;
/** Agents per chunk: chunks are allocated as agents arrive, never freed (agents never leave the registry). */
const CHUNK = 256;
const TENTHS = 100;
/** A beat a little early still counts as the next interval's sample. */
const SPACING_SHARE = 0.9;
const OUTCOMES: readonly HealthOutcome[] = ['success', 'cache_hit', 'error', 'stall', 'timeout', 'cancelled', 'retry'];

export interface HistoryOptions {
  /** Samples kept per agent; 0 keeps none (and no outcomes). */
  readonly samples: number;
  /** Outcomes kept per agent. */
  readonly outcomes: number;
  /** The heartbeat interval: samples closer than 0.9 of it are skipped. */
  readonly intervalMs: number;
}

export interface HistorySample {
  readonly at: number;
  readonly impedanceScore: number | null;
  readonly offsetMs: number | null;
  readonly errorBoundMs: number | null;
}

export interface OutcomeSample {
  readonly at: number;
  readonly operationId: string | null;
  readonly result: HealthOutcome;
  readonly processingMs: number | null;
}

interface Chunk {
  readonly sampleAt: Int32Array;
  /** impedance, offset, error bound per sample. */
  readonly values: Float32Array;
  readonly outcomeAt: Int32Array;
  readonly outcomeCode: Uint8Array;
  readonly processing: Float32Array;
  readonly operations: (string | undefined)[];
  /** Next write position and count, samples then outcomes, per agent. */
  readonly heads: Uint16Array;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export class AgentHistory {
  private readonly slots = new Map<string, number>();
  private readonly chunks: Chunk[] = [];
  private base: number | undefined;
  private readonly spacingMs: number;

  constructor(readonly options: HistoryOptions) {
    this.spacingMs = options.intervalMs * SPACING_SHARE;
  }

  get enabled(): boolean {
    return this.options.samples > 0;
  }

  /** Bytes held by the typed arrays (the id map aside: its keys are the registry's own strings). */
  get bytes(): number {
    return this.chunks.reduce((sum, c) => sum + c.sampleAt.byteLength + c.values.byteLength + c.outcomeAt.byteLength + c.outcomeCode.byteLength + c.processing.byteLength + c.heads.byteLength + c.operations.length * 8, 0);
  }

  /** Takes one heartbeat's figures unless the last sample is less than an interval old. */
  record(agentId: string, at: number, impedanceScore: number, offsetMs: number, errorBoundMs: number): void {
    if (!this.enabled) return;
    const { chunk, i } = this.slot(agentId);
    const n = this.options.samples;
    const head = chunk.heads[i * 4]!;
    const count = chunk.heads[i * 4 + 1]!;
    const t = this.tenths(at);
    if (count > 0) {
      const last = chunk.sampleAt[i * n + ((head + n - 1) % n)]!;
      // Too soon after the last; a clock stepped back (t < last) is taken, not held for hours.
      const since = (t - last) * TENTHS;
      if (since >= 0 && since < this.spacingMs) return;
    }
    const k = i * n + head;
    chunk.sampleAt[k] = t;
    chunk.values[k * 3] = impedanceScore;
    chunk.values[k * 3 + 1] = offsetMs;
    chunk.values[k * 3 + 2] = errorBoundMs;
    chunk.heads[i * 4] = (head + 1) % n;
    chunk.heads[i * 4 + 1] = Math.min(n, count + 1);
  }

  recordOutcome(agentId: string, at: number, result: HealthOutcome, operationId: string | undefined, processingMs: number | undefined): void {
    if (!this.enabled || this.options.outcomes === 0) return;
    const { chunk, i } = this.slot(agentId);
    const n = this.options.outcomes;
    const head = chunk.heads[i * 4 + 2]!;
    const k = i * n + head;
    chunk.outcomeAt[k] = this.tenths(at);
    chunk.outcomeCode[k] = OUTCOMES.indexOf(result);
    chunk.processing[k] = processingMs ?? Number.NaN;
    chunk.operations[k] = operationId;
    chunk.heads[i * 4 + 2] = (head + 1) % n;
    chunk.heads[i * 4 + 3] = Math.min(n, chunk.heads[i * 4 + 3]! + 1);
  }

  /** Oldest first. */
  samples(agentId: string): HistorySample[] {
    const found = this.find(agentId);
    if (found === undefined) return [];
    const { chunk, i } = found;
    const n = this.options.samples;
    const head = chunk.heads[i * 4]!;
    const count = chunk.heads[i * 4 + 1]!;
    const out: HistorySample[] = [];
    for (let j = count; j > 0; j--) {
      const k = i * n + ((head + n - j) % n);
      out.push({ at: this.time(chunk.sampleAt[k]!), impedanceScore: finite(chunk.values[k * 3]!), offsetMs: finite(chunk.values[k * 3 + 1]!), errorBoundMs: finite(chunk.values[k * 3 + 2]!) });
    }
    return out;
  }

  /** Newest first. */
  outcomes(agentId: string): OutcomeSample[] {
    const found = this.find(agentId);
    const n = this.options.outcomes;
    if (found === undefined || n === 0) return [];
    const { chunk, i } = found;
    const head = chunk.heads[i * 4 + 2]!;
    const out: OutcomeSample[] = [];
    for (let j = 1; j <= chunk.heads[i * 4 + 3]!; j++) {
      const k = i * n + ((head + n - j) % n);
      out.push({ at: this.time(chunk.outcomeAt[k]!), operationId: chunk.operations[k] ?? null, result: OUTCOMES[chunk.outcomeCode[k]!]!, processingMs: finite(chunk.processing[k]!) });
    }
    return out;
  }

  private tenths(at: number): number {
    this.base ??= at;
    return Math.round((at - this.base) / TENTHS);
  }

  private time(tenths: number): number {
    return (this.base ?? 0) + tenths * TENTHS;
  }

  private find(agentId: string): { chunk: Chunk; i: number } | undefined {
    const slot = this.slots.get(agentId);
    return slot === undefined ? undefined : { chunk: this.chunks[Math.floor(slot / CHUNK)]!, i: slot % CHUNK };
  }

  private slot(agentId: string): { chunk: Chunk; i: number } {
    const found = this.find(agentId);
    if (found !== undefined) return found;
    const slot = this.slots.size;
    this.slots.set(agentId, slot);
    if (slot % CHUNK === 0) {
      const s = this.options.samples;
      const o = this.options.outcomes;
      this.chunks.push({
        sampleAt: new Int32Array(CHUNK * s),
        values: new Float32Array(CHUNK * s * 3),
        outcomeAt: new Int32Array(CHUNK * o),
        outcomeCode: new Uint8Array(CHUNK * o),
        processing: new Float32Array(CHUNK * o),
        operations: new Array<string | undefined>(CHUNK * o).fill(undefined),
        heads: new Uint16Array(CHUNK * 4),
      });
    }
    return this.find(agentId)!;
  }
}
