// When the lead actually published each agent's COORDINATE (the result's responders[].sent_at,
// mesh time = the machine clock in a local mesh), so the oracle row can split what neither
// predictor sees into the lead's send lateness and everything after the send.
import type { OperationApi } from './operation-outcome.js';

/** agent id -> sent_at, per operation id. */
export type SendTimes = Map<string, Map<string, number>>;

export async function fetchSendTimes(api: OperationApi, viewId: string): Promise<Map<string, number>> {
  const view = await api.getOk<{ result?: { responders?: { agent_id?: unknown; sent_at?: unknown }[] } | null }>(`/v1/operations/${viewId}`);
  const out = new Map<string, number>();
  for (const r of view?.result?.responders ?? []) {
    if (typeof r.agent_id === 'string' && typeof r.sent_at === 'number') out.set(r.agent_id, r.sent_at);
  }
  return out;
}
