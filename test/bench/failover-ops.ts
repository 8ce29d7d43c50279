/**
 * bench:failover --agents: the operations that run across the kill. A scatter-gather (verb
 * `record`, every agent) is started every few seconds through the API of whichever lead takes
 * it (the active one, then the standby once it serves); afterwards the standby is asked for each
 * one started, for its outcome and its ACKs.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor, type LeadApi } from '../harness/index.js';

/** The sector every sim agent is in (the sim spec's default sector_id). */
const FLEET_SECTOR = 'sim-sector';
/** How long an operation may gather; its outcome is due well after that. */
const OPERATION_TIMEOUT_MS = 10_000;
const OUTCOME_WAIT_MS = 90_000;

interface JobView {
  operation_id: string;
  state: string;
  outcome?: string;
  error?: { code: string };
  result?: { status?: string; counts?: { selected?: number; sent?: number; ready?: number }; responders?: unknown[]; conflicts?: unknown[]; interrupted?: { by: string } };
}

export interface OperationsFigures {
  readonly everyMs: number;
  /** POSTs that a lead accepted (202), before and after the kill. */
  readonly started: number;
  readonly startedBeforeKill: number;
  /** POSTs no lead took (both down or not serving yet); these never existed, so nothing is owed. */
  readonly notTaken: number;
  /** Started operations the standby lists with an outcome, by outcome (SUCCESS, PARTIAL, FAILED_OVER, ...). */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Started operations the standby does not know, or still RUNNING/QUEUED after the wait. */
  readonly withoutOutcome: number;
  /** Sum over the started operations of the agents sent the COORDINATE (result.counts.sent). */
  readonly acksExpected: number;
  /** Sum of the ACKs the standby's records hold (responders + conflicts). */
  readonly acksRecorded: number;
  readonly interruptedByFailover: number;
  /** Each started operation as the standby has it. */
  readonly rows: readonly OperationRow[];
}

export interface OperationRow {
  readonly id: string;
  readonly state: string;
  readonly outcome: string | null;
  readonly sent: number;
  readonly acks: number;
  readonly interrupted: boolean;
}

/** When the loop made an operation's id (just before its POST), from the id itself. */
export function operationStartedAt(id: string): number {
  return Number(id.split('-').at(-1));
}

export class OperationLoop {
  private readonly startedIds: string[] = [];
  private startedBeforeKill = 0;
  private notTaken = 0;
  private posted = 0;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly apis: () => readonly LeadApi[],
    private readonly everyMs: number,
  ) {}

  /** Starts posting; again after stop(), the loop goes on with the next number. */
  start(): void {
    this.stopped = false;
    this.running = this.loop();
  }

  /** POSTs made so far: taken (202) and not taken by any lead. */
  counts(): { started: number; notTaken: number } {
    return { started: this.startedIds.length, notTaken: this.notTaken };
  }

  /** Marks the kill: operations counted so far were started on the active lead. */
  killed(): void {
    this.startedBeforeKill = this.startedIds.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const next = Date.now() + this.everyMs;
      this.posted += 1;
      const id = `fo-${this.posted}-${Date.now()}`;
      if (await this.post(id)) this.startedIds.push(id);
      else this.notTaken += 1;
      await delay(Math.max(0, next - Date.now()));
    }
  }

  /** The first lead that answers 202; a lead down or standing by (503) passes it on. */
  private async post(id: string): Promise<boolean> {
    // The sim's sector (its default): the bench's heartbeat probe (pi-ha) is in none and never ACKs, so every agent sent one can answer.
    const body = { operation_id: id, verb: 'record', payload: { command: 'failover-bench' }, selector: { sector_id: FLEET_SECTOR }, release_mode: 'hold', min_response_rate: 0.9, timeout_ms: OPERATION_TIMEOUT_MS };
    for (const api of this.apis()) {
      const res = await api.post('/v1/operations', body, { 'idempotency-key': `start-${id}` }).catch(() => undefined);
      if (res?.status === 202) return true;
    }
    return false;
  }

  /** Each started operation (of those `include` keeps) as the standby has it, once every one is decided (or the wait ends). */
  async figures(standby: LeadApi, include: (id: string) => boolean = () => true): Promise<OperationsFigures> {
    const startedIds = this.startedIds.filter(include);
    const decided = (job: JobView | undefined): boolean => job !== undefined && job.state !== 'RUNNING' && job.state !== 'QUEUED';
    const jobs = new Map<string, JobView | undefined>();
    await waitFor('every started operation decided on the standby', OUTCOME_WAIT_MS, async () => {
      for (const id of startedIds) {
        if (decided(jobs.get(id))) continue;
        const res = await standby.get<JobView>(`/v1/operations/${id}`).catch(() => undefined);
        jobs.set(id, res?.status === 200 ? res.body : undefined);
      }
      return startedIds.every((id) => decided(jobs.get(id))) ? true : undefined;
    }).catch(() => undefined);
    const outcomes: Record<string, number> = {};
    let withoutOutcome = 0;
    let acksExpected = 0;
    let acksRecorded = 0;
    let interrupted = 0;
    const rows: OperationRow[] = [];
    for (const id of startedIds) {
      const job = jobs.get(id);
      const outcome = job?.outcome ?? job?.error?.code;
      if (job === undefined || !decided(job) || outcome === undefined) withoutOutcome += 1;
      else outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (job?.result?.interrupted?.by === 'failover') interrupted += 1;
      const acks = (job?.result?.responders?.length ?? 0) + (job?.result?.conflicts?.length ?? 0);
      rows.push({ id, state: job?.state ?? 'UNKNOWN', outcome: outcome ?? null, sent: job?.result?.counts?.sent ?? 0, acks, interrupted: job?.result?.interrupted?.by === 'failover' });
    }
    for (const row of rows) {
      acksExpected += row.sent;
      acksRecorded += row.acks;
    }
    return {
      everyMs: this.everyMs,
      started: startedIds.length,
      startedBeforeKill: this.startedBeforeKill,
      notTaken: this.notTaken,
      outcomes,
      withoutOutcome,
      acksExpected,
      acksRecorded,
      interruptedByFailover: interrupted,
      rows,
    };
  }
}
