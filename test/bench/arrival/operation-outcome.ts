// The one place the arrival and scale benchmarks read an operation's state and result from
// GET /v1/operations/:id, so a change of the job states or result shape is fixed here only.

export interface OperationOutcome {
  /** The lead will not change this operation any more. */
  settled: boolean;
  /** Settled with a quorum decision of SUCCESS. */
  succeeded: boolean;
  targetTime: number | null;
  responders: number;
  stragglers: number;
  /** Why it has no result (refused, failed, cancelled), when it has none. */
  problem: string | null;
}

const SETTLED = new Set(['completed', 'refused', 'SUCCEEDED', 'FAILED', 'CANCELLED']);

interface ViewShape {
  state?: string;
  refusal?: { code?: string; message?: string } | null;
  error?: { code?: string; message?: string } | null;
  result?: { status?: string; responders?: unknown[]; stragglers?: unknown[]; timings?: { target_time?: number } } | null;
}

export function operationOutcome(view: unknown): OperationOutcome {
  const v = (view ?? {}) as ViewShape;
  const state = v.state ?? 'unknown';
  const result = v.result ?? null;
  const failure = v.refusal ?? v.error ?? null;
  return {
    settled: SETTLED.has(state),
    succeeded: SETTLED.has(state) && result?.status === 'SUCCESS',
    targetTime: result?.timings?.target_time ?? null,
    responders: result?.responders?.length ?? 0,
    stragglers: result?.stragglers?.length ?? 0,
    problem: result !== null ? null : failure !== null ? `${failure.code ?? state}: ${failure.message ?? ''}` : SETTLED.has(state) ? state : null,
  };
}

export interface OperationApi {
  post(path: string, body: unknown): Promise<{ status: number; headers: Headers; body: unknown }>;
  getOk<T>(path: string): Promise<T | undefined>;
}

const POLL_MS = 100;

/**
 * POST /v1/operations, then GET until settled; the view's id is in the answer. Each GET of a
 * running operation makes the lead read and parse its whole record (the plan of every agent):
 * a bench that times the lead polls slowly (`pollMs`).
 */
export async function submitAndWait(api: OperationApi, body: Record<string, unknown>, timeoutMs: number, pollMs = POLL_MS): Promise<{ id: string; outcome: OperationOutcome }> {
  const res = await api.post('/v1/operations', body);
  const location = res.headers.get('location');
  if (res.status !== 202 || location === null) throw new Error(`POST /v1/operations: ${res.status} ${JSON.stringify(res.body)}`);
  const id = location.split('/').pop() ?? location;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = operationOutcome(await api.getOk<unknown>(location));
    if (outcome.settled) return { id, outcome };
    if (Date.now() > deadline) return { id, outcome: { ...outcome, problem: `not settled after ${timeoutMs} ms` } };
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
