// POST /v1/cascades on a lead, then GET its Location until the cascade is decided. Reading a
// cascade's state is done in settledCascade only, so a change of states touches one function.
import { setTimeout as delay } from 'node:timers/promises';
import type { LeadApi } from './lead-api.js';

const POLL_MS = 100;

export interface CascadeArrival {
  count: number;
  hit_rate: number | null;
  abs: { p50: number; p90: number; p99: number; max: number } | null;
  signed: { min: number; max: number; mean: number } | null;
}

/** What GET /v1/cascades/:id answers (the fields the harness and the demo use). */
export interface CascadeView {
  cascade_id: string;
  state: string;
  error: string | null;
  result: {
    cascade_id: string;
    status: string;
    counts: { sent: number; ready: number } & Record<string, number>;
    arrival: CascadeArrival;
    phases: {
      operation_id: string;
      status: string;
      /** The root's mesh time. */
      target_time: number;
      children: { lead_id: string; state: string; status: string | null; reason: string | null; arrival: CascadeArrival }[];
    }[];
    started_at: number;
    decided_at: number;
  } | null;
}

/** The view once the cascade is decided (completed or failed); undefined while it runs. */
export function settledCascade(view: CascadeView | undefined): CascadeView | undefined {
  return view !== undefined && (view.state === 'completed' || view.state === 'failed') ? view : undefined;
}

/** Starts a cascade and resolves with its decided view; rejects on refusal, after timeoutMs, or when `signal` aborts. */
export async function runCascade(api: LeadApi, body: Record<string, unknown>, timeoutMs = 30_000, signal?: AbortSignal): Promise<CascadeView> {
  const res = await api.post('/v1/cascades', body);
  // The 202's Location is the job (/v1/operations/<id>); the cascade's own view has the phases.
  const location = (res.body as { cascade_location?: string } | undefined)?.cascade_location ?? null;
  if (res.status !== 202 || location === null) throw new Error(`POST /v1/cascades: ${res.status} ${JSON.stringify(res.body)}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = settledCascade(await api.getOk<CascadeView>(location));
    if (view !== undefined) return view;
    if (Date.now() > deadline) throw new Error(`cascade ${location} not decided after ${timeoutMs} ms`);
    await delay(POLL_MS, undefined, { signal });
  }
}
