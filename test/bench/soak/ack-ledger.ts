// ACK bookkeeping, exact on both sides. The agents' side: every ACK an agent decided to send,
// from the agents' own records (a sim's arrivals file has one line per READY release, written
// as its ACK is sent; TRANSIT and CONFLICT ACKs are logged at info; the daemon logs every
// decision synchronously, so a line survives SIGKILL). The lead's side: the operations history
// in its database (each decided operation's responders and conflicts, and the ACKs that came
// after the decision). An ACK is identified by (operation, agent): one per agent per operation.

export type AckState = 'ready' | 'transit' | 'conflict';
export type AgentKind = 'sim' | 'daemon';

export interface AgentAck {
  agentId: string;
  operationId: string;
  state: AckState;
  source: AgentKind;
  /** For a TRANSIT: the agent's decline code. */
  code?: string;
}

export interface LeadAck {
  operationId: string;
  agentId: string;
  /** In the decided result, or recorded after the decision (a late ACK). */
  where: 'result' | 'late';
}

/** What the lead's history row of one operation holds (`operations.result`, as lead-scatter.ts writes it). */
export interface HistoryRow {
  operationId: string;
  status: string;
  result: unknown;
}

const EVENT_STATE: Readonly<Record<string, AckState>> = { 'coordinate.ready': 'ready', 'coordinate.refused': 'transit', 'coordinate.conflict': 'conflict' };

function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by a kill, or not ours
    }
  }
  return out;
}

/** A sim's arrivals file (`--arrivals-out`): one READY per line. */
export function acksFromArrivals(text: string): AgentAck[] {
  return jsonLines(text)
    .filter((r) => typeof r.agent_id === 'string' && typeof r.operation_id === 'string')
    .map((r) => ({ agentId: r.agent_id as string, operationId: r.operation_id as string, state: 'ready', source: 'sim' }));
}

/**
 * An agent's log: the decisions that send an ACK. A sim's READY lines are debug (its arrivals
 * file has them), so `states` says which to take from the log.
 */
export function acksFromLog(text: string, source: AgentKind, states: readonly AckState[]): AgentAck[] {
  const out: AgentAck[] = [];
  for (const r of jsonLines(text)) {
    const state = typeof r.event === 'string' ? EVENT_STATE[r.event] : undefined;
    if (state === undefined || !states.includes(state)) continue;
    if (typeof r.agent_id !== 'string' || typeof r.operation !== 'string') continue;
    out.push({ agentId: r.agent_id, operationId: r.operation, state, source, ...(typeof r.code === 'string' ? { code: r.code } : {}) });
  }
  return out;
}

function agentIdOf(x: unknown): string | undefined {
  const o = x as { agentId?: unknown; agent_id?: unknown } | null;
  const id = o?.agentId ?? o?.agent_id;
  return typeof id === 'string' ? id : undefined;
}

/** Every ACK one history row records: responders and conflicts of the result, then late ACKs. */
export function acksFromHistory(row: HistoryRow): LeadAck[] {
  const r = (row.result ?? {}) as { result?: { responders?: unknown[]; conflicts?: unknown[] } | null; late_acks?: unknown[] };
  const out: LeadAck[] = [];
  for (const a of [...(r.result?.responders ?? []), ...(r.result?.conflicts ?? [])]) {
    const agentId = agentIdOf(a);
    if (agentId !== undefined) out.push({ operationId: row.operationId, agentId, where: 'result' });
  }
  for (const a of r.late_acks ?? []) {
    const agentId = agentIdOf(a);
    if (agentId !== undefined) out.push({ operationId: row.operationId, agentId, where: 'late' });
  }
  return out;
}

export interface Reconciled {
  /** ACKs the agents sent (distinct operation and agent). */
  sent: number;
  /** Of those, found in the lead's results or history. */
  reached: number;
  /** Sent and never found at the lead. */
  lost: AgentAck[];
  /** Entries at the lead beyond the first for the same operation and agent (in the result twice, or in the result and late). */
  duplicated: number;
  /** Recorded at the lead but in no agent's records: an agent record missing (should be 0). */
  unmatchedAtLead: LeadAck[];
  /** The same ACK twice in the agents' own records (should be 0). */
  duplicatedByAgents: number;
}

const key = (operationId: string, agentId: string): string => `${operationId}\u0000${agentId}`;

/** Compares both sides over the operations for which `counted` says yes. */
export function reconcile(agentAcks: readonly AgentAck[], leadAcks: readonly LeadAck[], counted: (operationId: string) => boolean): Reconciled {
  const sent = new Map<string, AgentAck>();
  let duplicatedByAgents = 0;
  for (const a of agentAcks) {
    if (!counted(a.operationId)) continue;
    const k = key(a.operationId, a.agentId);
    if (sent.has(k)) duplicatedByAgents++;
    else sent.set(k, a);
  }
  const atLead = new Map<string, LeadAck>();
  let duplicated = 0;
  for (const l of leadAcks) {
    if (!counted(l.operationId)) continue;
    const k = key(l.operationId, l.agentId);
    if (atLead.has(k)) duplicated++;
    else atLead.set(k, l);
  }
  const lost = [...sent.entries()].filter(([k]) => !atLead.has(k)).map(([, a]) => a);
  const unmatchedAtLead = [...atLead.entries()].filter(([k]) => !sent.has(k)).map(([, l]) => l);
  return { sent: sent.size, reached: sent.size - lost.length, lost, duplicated, unmatchedAtLead, duplicatedByAgents };
}
