/**
 * The edge agents this lead dials: an in-memory table (read on every send, so no I/O there),
 * written through to a small SQLite table in the lead's database when one is given, so a
 * restarted lead knows its Workers before the operator says anything again.
 */
import type { Clock, KeyResolver } from '@mesh30k/shared';
import type { Db } from '../store/index.js';
import { EdgeAgentInput, toEdgeAgent, type EdgeAgent, type EdgeAgentRecord } from './edge-agent.js';

/** Created on first use, not by a numbered migration: the table belongs to this module alone. */
const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS edge_agents (
    agent_id      TEXT PRIMARY KEY,
    record        TEXT NOT NULL,
    registered_at REAL NOT NULL
  ) STRICT`;

export type EdgeRegistration =
  | { readonly ok: true; readonly agent: EdgeAgent; readonly replaced: boolean }
  | { readonly ok: false; readonly code: 'INVALID_EDGE_AGENT'; readonly path: string; readonly message: string };

/** Durable side of the directory. */
export interface EdgeAgentPersistence {
  loadAll(): { record: EdgeAgentRecord; registeredAt: number }[];
  put(agent: EdgeAgent): void;
  delete(agentId: string): void;
}

export class SqliteEdgeAgents implements EdgeAgentPersistence {
  constructor(private readonly db: Db) {
    db.exec(CREATE_TABLE);
  }

  loadAll(): { record: EdgeAgentRecord; registeredAt: number }[] {
    const rows = this.db.prepare('SELECT record, registered_at FROM edge_agents ORDER BY agent_id').all() as { record: string; registered_at: number }[];
    const out: { record: EdgeAgentRecord; registeredAt: number }[] = [];
    for (const row of rows) {
      const parsed = EdgeAgentInput.safeParse(JSON.parse(row.record));
      // A row this version cannot read is left in place for the operator, not dropped.
      if (parsed.success) out.push({ record: parsed.data, registeredAt: row.registered_at });
    }
    return out;
  }

  put(agent: EdgeAgent): void {
    this.db
      .prepare('INSERT INTO edge_agents (agent_id, record, registered_at) VALUES (?, ?, ?) ON CONFLICT (agent_id) DO UPDATE SET record = excluded.record, registered_at = excluded.registered_at')
      .run(agent.agent_id, JSON.stringify(recordOf(agent)), agent.registeredAt);
  }

  delete(agentId: string): void {
    this.db.prepare('DELETE FROM edge_agents WHERE agent_id = ?').run(agentId);
  }
}

export type EdgeDirectoryListener = (event: { kind: 'registered' | 'removed'; agent: EdgeAgent }) => void;

export class EdgeDirectory {
  private readonly agents = new Map<string, EdgeAgent>();
  private readonly listeners: EdgeDirectoryListener[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly persistence: EdgeAgentPersistence | null = null,
  ) {
    for (const { record, registeredAt } of persistence?.loadAll() ?? []) this.agents.set(record.agent_id, toEdgeAgent(record, registeredAt));
  }

  /** Registers (or re-registers, replacing URL, capabilities or key) an edge agent. */
  register(input: unknown): EdgeRegistration {
    const parsed = EdgeAgentInput.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.map(String).join('.') ?? '';
      return { ok: false, code: 'INVALID_EDGE_AGENT', path, message: `${path || '(root)'}: ${issue?.message ?? 'invalid'}` };
    }
    const agent = toEdgeAgent(parsed.data, this.clock.now());
    const replaced = this.agents.has(agent.agent_id);
    this.persistence?.put(agent);
    this.agents.set(agent.agent_id, agent);
    for (const listener of this.listeners) listener({ kind: 'registered', agent });
    return { ok: true, agent, replaced };
  }

  remove(agentId: string): boolean {
    const agent = this.agents.get(agentId);
    if (agent === undefined) return false;
    this.persistence?.delete(agentId);
    this.agents.delete(agentId);
    for (const listener of this.listeners) listener({ kind: 'removed', agent });
    return true;
  }

  get(agentId: string): EdgeAgent | undefined {
    return this.agents.get(agentId);
  }

  has(agentId: string): boolean {
    return this.agents.has(agentId);
  }

  list(): EdgeAgent[] {
    return [...this.agents.values()].sort((a, b) => a.agent_id.localeCompare(b.agent_id));
  }

  get size(): number {
    return this.agents.size;
  }

  /** The wire form of every agent, for the API or a backup. */
  snapshot(): EdgeAgentRecord[] {
    return this.list().map(recordOf);
  }

  onChange(listener: EdgeDirectoryListener): void {
    this.listeners.push(listener);
  }

  /**
   * Edge agents' keys first, then `fallback` (the trust store): PONGs and ACKs from a Worker
   * verify with the key it was registered with.
   */
  keyResolver(fallback?: KeyResolver): KeyResolver {
    return (signerId) => {
      const agent = this.agents.get(signerId);
      if (agent !== undefined) return { ok: true, value: agent.publicKeyBytes };
      if (fallback !== undefined) return fallback(signerId);
      return { ok: false, error: { code: 'UNKNOWN_SIGNER', message: `${signerId} is not a registered edge agent` } };
    };
  }
}

function recordOf(agent: EdgeAgent): EdgeAgentRecord {
  return { agent_id: agent.agent_id, url: agent.url, class: agent.class, capabilities: [...agent.capabilities], cluster_id: agent.cluster_id, public_key: agent.public_key };
}
