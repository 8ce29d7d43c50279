/**
 * The parent's table of child leads. Child leads are kept here, not in the registry: they
 * send SUMMARY, not HEARTBEAT, and a registry record (one agent's impedance, clock and health)
 * has no place for a subtree's counts and lead time. The table is small (a sector has about
 * ten children, the root about a hundred). With a store it is written on every change and read
 * back at start, so a restarted parent knows its children before their next summaries (a child
 * whose last summary is older than the stale limit is listed, stale, until it reports again).
 */
import type { Summary } from '@mesh30k/shared';
import { HOP_SAMPLES } from './options.js';

export interface ChildLeadEntry {
  readonly leadId: string;
  readonly summary: Summary;
  /** Parent clock when the last summary arrived. */
  readonly receivedAt: number;
  readonly firstSeenAt: number;
  readonly summaries: number;
  /**
   * One-way time of recent summaries (parent clock on receipt minus the child's created_at,
   * which is the child's estimate of parent time): the hop plus the child's offset error.
   */
  readonly hopSamplesMs: readonly number[];
  /** Round trip of the last cascade COORDINATE request to this child, ms. */
  readonly lastCoordinateRttMs: number | null;
}

export type ChildLiveness = 'live' | 'stale';

export interface ChildLeadView extends ChildLeadEntry {
  readonly liveness: ChildLiveness;
  /** Best estimate of the one-way hop to the child, ms. */
  readonly hopMs: number;
}

/** Where the table is kept across restarts (the lead's database); absent, it is memory only. */
export interface ChildTableStore {
  load(): readonly ChildLeadEntry[];
  save(entry: ChildLeadEntry): void;
}

export class ChildLeadTable {
  private readonly entries = new Map<string, ChildLeadEntry>();

  constructor(
    private readonly staleAfterMs: number,
    private readonly store?: ChildTableStore,
  ) {
    for (const entry of store?.load() ?? []) this.entries.set(entry.leadId, entry);
  }

  get size(): number {
    return this.entries.size;
  }

  record(summary: Summary, receivedAt: number): ChildLeadEntry {
    const previous = this.entries.get(summary.lead_id);
    const hop = receivedAt - summary.created_at;
    const hopSamplesMs = [...(previous?.hopSamplesMs ?? []), hop].slice(-HOP_SAMPLES);
    const entry: ChildLeadEntry = {
      leadId: summary.lead_id,
      summary,
      receivedAt,
      firstSeenAt: previous?.firstSeenAt ?? receivedAt,
      summaries: (previous?.summaries ?? 0) + 1,
      hopSamplesMs,
      lastCoordinateRttMs: previous?.lastCoordinateRttMs ?? null,
    };
    this.put(entry);
    return entry;
  }

  noteCoordinateRtt(leadId: string, rttMs: number): void {
    const entry = this.entries.get(leadId);
    if (entry !== undefined) this.put({ ...entry, lastCoordinateRttMs: rttMs });
  }

  private put(entry: ChildLeadEntry): void {
    this.entries.set(entry.leadId, entry);
    this.store?.save(entry);
  }

  get(leadId: string, now: number): ChildLeadView | undefined {
    const entry = this.entries.get(leadId);
    return entry === undefined ? undefined : this.view(entry, now);
  }

  all(now: number): ChildLeadView[] {
    return [...this.entries.values()].map((e) => this.view(e, now)).sort((a, b) => a.leadId.localeCompare(b.leadId));
  }

  live(now: number): ChildLeadView[] {
    return this.all(now).filter((c) => c.liveness === 'live');
  }

  private view(entry: ChildLeadEntry, now: number): ChildLeadView {
    // The smallest one-way time is the least queued; a COORDINATE round trip bounds it too.
    const fromSummaries = entry.hopSamplesMs.length === 0 ? 0 : Math.max(0, Math.min(...entry.hopSamplesMs));
    const fromCoordinate = entry.lastCoordinateRttMs === null ? 0 : entry.lastCoordinateRttMs / 2;
    return {
      ...entry,
      liveness: now - entry.receivedAt <= this.staleAfterMs ? 'live' : 'stale',
      hopMs: Math.max(fromSummaries, fromCoordinate),
    };
  }
}
