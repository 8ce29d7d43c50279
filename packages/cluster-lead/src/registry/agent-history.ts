/**
 * A short, bounded memory of each agent for the dashboard: its last few impedance scores,
 * clock offsets and error bounds (at most one per heartbeat interval), and its last few
 * operation outcomes. At 30,000 agents this must stay small, so nothing is an object per
 * sample: agents get a slot in chunks of typed arrays, and each sample takes 7 bytes
 * (history-codec.ts states the precision of each code):
 * - its time, in 0.1 s since the agent's previous sample, less the spacing every sample
 *   keeps (0.9 interval), in one byte: up to 25.4 s later than that (five missed beats at
 *   5 s). The oldest sample's own time is kept per agent and moves forward as the ring
 *   drops it;
 * - its score, and its error bound, in 16 bits each, to the precision the dashboard shows
 *   or better;
 * - its offset, in whole µs since the agent's previous offset (16 bits, same chain).
 * A value that does not fit its code (a clock step, an outage, a jump in offset of more
 * than 32 ms) is kept exactly in a side map until the ring overwrites it; no value is
 * rounded more than its code states, and no value is lost. Memory: 7 bytes per sample and
 * 15 per outcome, 32 per agent (120 samples and 16 outcomes: about 1.1 KB, 33 MB at
 * 30,000). Nothing is persisted: a restarted lead starts with empty rings.
 */
import type { HealthOutcome } from '@mesh30k/shared';
import {
  ESCAPE_CODE,
  NULL_CODE,
  OFFSET_ESCAPE,
  OFFSET_NULL,
  TIME_ESCAPE,
  decodeDuration,
  decodeScore,
  encodeDuration,
  encodeScore,
  fitsOffsetDelta,
  fitsTimeStep,
  fromMicros,
  toMicros,
} from './history-codec.js';

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
  /** Per sample: 0.1 s since the previous sample, less stepFloor (TIME_ESCAPE: see the time escapes). */
  readonly sampleStep: Uint8Array;
  readonly score: Uint16Array;
  /** Per sample: µs since the previous non-null offset, or OFFSET_NULL / OFFSET_ESCAPE. */
  readonly offsetStep: Int16Array;
  readonly bound: Uint16Array;
  /** Per agent: time (0.1 s from the lead's base) of its oldest and newest sample. */
  readonly oldestAt: Int32Array;
  readonly newestAt: Int32Array;
  /** Per agent: the offset chain (µs) as of its oldest and its newest sample. */
  readonly oldestOffset: Float64Array;
  readonly newestOffset: Float64Array;
  readonly outcomeAt: Int32Array;
  readonly outcomeCode: Uint8Array;
  readonly processing: Uint16Array;
  readonly operations: (string | undefined)[];
  /** Next write position and count, samples then outcomes, per agent. */
  readonly heads: Uint16Array;
}

/** Exact values that did not fit their code, by cell (slot x ring length + position). */
class Escapes {
  private readonly cells = new Map<number, number>();

  get size(): number {
    return this.cells.size;
  }

  put(cell: number, value: number): void {
    this.cells.set(cell, value);
  }

  get(cell: number): number {
    return this.cells.get(cell)!;
  }

  drop(cell: number): void {
    this.cells.delete(cell);
  }
}

export class AgentHistory {
  private readonly slots = new Map<string, number>();
  private readonly chunks: Chunk[] = [];
  private base: number | undefined;
  private readonly spacingMs: number;
  /** The fewest tenths between two samples: their time steps are stored above it. */
  private readonly stepFloor: number;
  private readonly escapes = { time: new Escapes(), score: new Escapes(), offset: new Escapes(), bound: new Escapes(), processing: new Escapes() };

  constructor(readonly options: HistoryOptions) {
    this.spacingMs = options.intervalMs * SPACING_SHARE;
    this.stepFloor = Math.ceil(this.spacingMs / TENTHS);
  }

  get enabled(): boolean {
    return this.options.samples > 0;
  }

  /** Bytes held by the typed arrays (the id map aside: its keys are the registry's own strings; escapes aside: see escapedValues). */
  get bytes(): number {
    let sum = 0;
    for (const c of this.chunks) {
      for (const array of [c.sampleStep, c.score, c.offsetStep, c.bound, c.oldestAt, c.newestAt, c.oldestOffset, c.newestOffset, c.outcomeAt, c.outcomeCode, c.processing, c.heads]) sum += array.byteLength;
      sum += c.operations.length * 8;
    }
    return sum;
  }

  /** Values kept exactly beside the rings because they did not fit their 16-bit code. */
  get escapedValues(): number {
    return Object.values(this.escapes).reduce((sum, e) => sum + e.size, 0);
  }

  /** Takes one heartbeat's figures unless the last sample is less than an interval old. */
  record(agentId: string, at: number, impedanceScore: number, offsetMs: number, errorBoundMs: number): void {
    if (!this.enabled) return;
    const { chunk, i, slot } = this.slot(agentId);
    const n = this.options.samples;
    const head = chunk.heads[i * 4]!;
    let count = chunk.heads[i * 4 + 1]!;
    const t = this.tenths(at);
    if (count > 0) {
      // Too soon after the last; a clock stepped back (t < last) is taken, not held for hours.
      const since = (t - chunk.newestAt[i]!) * TENTHS;
      if (since >= 0 && since < this.spacingMs) return;
    }
    if (count === n) {
      this.dropOldest(chunk, i, slot, head);
      count--;
    }
    const k = i * n + head;
    const cell = slot * n + head;
    this.clearEscapes(chunk, k, cell);
    const micros = Number.isFinite(offsetMs) ? toMicros(offsetMs) : Number.NaN;
    if (count === 0) {
      // The first sample anchors both chains; its own steps are never read.
      chunk.oldestAt[i] = t;
      chunk.oldestOffset[i] = Number.isNaN(micros) ? 0 : micros;
      chunk.newestOffset[i] = chunk.oldestOffset[i]!;
      chunk.sampleStep[k] = 0;
      chunk.offsetStep[k] = Number.isNaN(micros) ? OFFSET_NULL : 0;
    } else {
      const step = t - chunk.newestAt[i]!;
      chunk.sampleStep[k] = fitsTimeStep(step - this.stepFloor) ? step - this.stepFloor : this.escape(this.escapes.time, cell, step, TIME_ESCAPE);
      if (Number.isNaN(micros)) {
        chunk.offsetStep[k] = OFFSET_NULL;
      } else {
        const delta = micros - chunk.newestOffset[i]!;
        chunk.offsetStep[k] = fitsOffsetDelta(delta) ? delta : this.escape(this.escapes.offset, cell, delta, OFFSET_ESCAPE);
        chunk.newestOffset[i] = micros;
      }
    }
    chunk.newestAt[i] = t;
    chunk.score[k] = this.coded(this.escapes.score, cell, encodeScore(impedanceScore), impedanceScore);
    chunk.bound[k] = this.coded(this.escapes.bound, cell, encodeDuration(errorBoundMs), errorBoundMs);
    chunk.heads[i * 4] = (head + 1) % n;
    chunk.heads[i * 4 + 1] = count + 1;
  }

  recordOutcome(agentId: string, at: number, result: HealthOutcome, operationId: string | undefined, processingMs: number | undefined): void {
    if (!this.enabled || this.options.outcomes === 0) return;
    const { chunk, i, slot } = this.slot(agentId);
    const n = this.options.outcomes;
    const head = chunk.heads[i * 4 + 2]!;
    const k = i * n + head;
    const cell = slot * n + head;
    if (chunk.processing[k] === ESCAPE_CODE) this.escapes.processing.drop(cell);
    chunk.outcomeAt[k] = this.tenths(at);
    chunk.outcomeCode[k] = OUTCOMES.indexOf(result);
    const ms = processingMs ?? Number.NaN;
    chunk.processing[k] = this.coded(this.escapes.processing, cell, encodeDuration(ms), ms);
    chunk.operations[k] = operationId;
    chunk.heads[i * 4 + 2] = (head + 1) % n;
    chunk.heads[i * 4 + 3] = Math.min(n, chunk.heads[i * 4 + 3]! + 1);
  }

  /** Oldest first. */
  samples(agentId: string): HistorySample[] {
    const found = this.find(agentId);
    if (found === undefined) return [];
    const { chunk, i, slot } = found;
    const n = this.options.samples;
    const head = chunk.heads[i * 4]!;
    const count = chunk.heads[i * 4 + 1]!;
    const out: HistorySample[] = [];
    let t = chunk.oldestAt[i]!;
    let micros = chunk.oldestOffset[i]!;
    for (let j = count; j > 0; j--) {
      const position = (head + n - j) % n;
      const k = i * n + position;
      const cell = slot * n + position;
      const offsetStep = chunk.offsetStep[k]!;
      if (j < count) {
        t += this.timeStep(chunk.sampleStep[k]!, cell);
        if (offsetStep !== OFFSET_NULL) micros += offsetStep === OFFSET_ESCAPE ? this.escapes.offset.get(cell) : offsetStep;
      }
      out.push({
        at: this.time(t),
        impedanceScore: this.decoded(this.escapes.score, cell, chunk.score[k]!, decodeScore),
        offsetMs: offsetStep === OFFSET_NULL ? null : fromMicros(micros),
        errorBoundMs: this.decoded(this.escapes.bound, cell, chunk.bound[k]!, decodeDuration),
      });
    }
    return out;
  }

  /** Newest first. */
  outcomes(agentId: string): OutcomeSample[] {
    const found = this.find(agentId);
    const n = this.options.outcomes;
    if (found === undefined || n === 0) return [];
    const { chunk, i, slot } = found;
    const head = chunk.heads[i * 4 + 2]!;
    const out: OutcomeSample[] = [];
    for (let j = 1; j <= chunk.heads[i * 4 + 3]!; j++) {
      const position = (head + n - j) % n;
      const k = i * n + position;
      out.push({
        at: this.time(chunk.outcomeAt[k]!),
        operationId: chunk.operations[k] ?? null,
        result: OUTCOMES[chunk.outcomeCode[k]!]!,
        processingMs: this.decoded(this.escapes.processing, slot * n + position, chunk.processing[k]!, decodeDuration),
      });
    }
    return out;
  }

  /** The ring is full: the second oldest sample becomes the oldest, and the chains' anchors move to it. */
  private dropOldest(chunk: Chunk, i: number, slot: number, head: number): void {
    const n = this.options.samples;
    const next = (head + 1) % n;
    if (next === head) return; // a ring of one: the new sample re-anchors
    const k = i * n + next;
    const cell = slot * n + next;
    chunk.oldestAt[i] = chunk.oldestAt[i]! + this.timeStep(chunk.sampleStep[k]!, cell);
    const offsetStep = chunk.offsetStep[k]!;
    if (offsetStep !== OFFSET_NULL) chunk.oldestOffset[i] = chunk.oldestOffset[i]! + (offsetStep === OFFSET_ESCAPE ? this.escapes.offset.get(cell) : offsetStep);
  }

  private timeStep(code: number, cell: number): number {
    return code === TIME_ESCAPE ? this.escapes.time.get(cell) : code + this.stepFloor;
  }

  /** Frees the exact values a position held before it is written again. */
  private clearEscapes(chunk: Chunk, k: number, cell: number): void {
    if (chunk.sampleStep[k] === TIME_ESCAPE) this.escapes.time.drop(cell);
    if (chunk.offsetStep[k] === OFFSET_ESCAPE) this.escapes.offset.drop(cell);
    if (chunk.score[k] === ESCAPE_CODE) this.escapes.score.drop(cell);
    if (chunk.bound[k] === ESCAPE_CODE) this.escapes.bound.drop(cell);
  }

  private escape(escapes: Escapes, cell: number, exact: number, code: number): number {
    escapes.put(cell, exact);
    return code;
  }

  private coded(escapes: Escapes, cell: number, code: number, exact: number): number {
    return code === ESCAPE_CODE ? this.escape(escapes, cell, exact, ESCAPE_CODE) : code;
  }

  private decoded(escapes: Escapes, cell: number, code: number, decode: (code: number) => number): number | null {
    if (code === NULL_CODE) return null;
    return code === ESCAPE_CODE ? escapes.get(cell) : decode(code);
  }

  private tenths(at: number): number {
    this.base ??= at;
    return Math.round((at - this.base) / TENTHS);
  }

  private time(tenths: number): number {
    return (this.base ?? 0) + tenths * TENTHS;
  }

  private find(agentId: string): { chunk: Chunk; i: number; slot: number } | undefined {
    const slot = this.slots.get(agentId);
    return slot === undefined ? undefined : { chunk: this.chunks[Math.floor(slot / CHUNK)]!, i: slot % CHUNK, slot };
  }

  private slot(agentId: string): { chunk: Chunk; i: number; slot: number } {
    const found = this.find(agentId);
    if (found !== undefined) return found;
    const slot = this.slots.size;
    this.slots.set(agentId, slot);
    if (slot % CHUNK === 0) {
      const s = this.options.samples;
      const o = this.options.outcomes;
      this.chunks.push({
        sampleStep: new Uint8Array(CHUNK * s),
        score: new Uint16Array(CHUNK * s),
        offsetStep: new Int16Array(CHUNK * s),
        bound: new Uint16Array(CHUNK * s),
        oldestAt: new Int32Array(CHUNK),
        newestAt: new Int32Array(CHUNK),
        oldestOffset: new Float64Array(CHUNK),
        newestOffset: new Float64Array(CHUNK),
        outcomeAt: new Int32Array(CHUNK * o),
        outcomeCode: new Uint8Array(CHUNK * o),
        processing: new Uint16Array(CHUNK * o),
        operations: new Array<string | undefined>(CHUNK * o).fill(undefined),
        heads: new Uint16Array(CHUNK * 4),
      });
    }
    return this.find(agentId)!;
  }
}
