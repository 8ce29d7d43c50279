import { PersistedAgent } from '../registry/index.js';
import type { Db } from './database.js';

export interface LoadedAgents {
  agents: PersistedAgent[];
  /** Rows that no longer parse (a version this lead does not read, a damaged row). */
  invalid: { agentId: string; problem: string }[];
}

/** The registry snapshot table: one row per agent, upserted in batches. */
export class AgentSnapshotStore {
  private readonly upsert;
  private readonly selectAll;
  private readonly countRows;

  constructor(private readonly db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO agents (agent_id, cluster_id, state, last_seen_at, data, updated_at)
       VALUES (@agent_id, @cluster_id, @state, @last_seen_at, @data, @updated_at)
       ON CONFLICT (agent_id) DO UPDATE SET cluster_id = excluded.cluster_id, state = excluded.state,
         last_seen_at = excluded.last_seen_at, data = excluded.data, updated_at = excluded.updated_at`,
    );
    this.selectAll = db.prepare('SELECT agent_id, data FROM agents');
    this.countRows = db.prepare('SELECT COUNT(*) AS n FROM agents').pluck();
  }

  /** Writes agents in one transaction. */
  write(agents: readonly PersistedAgent[], at: number): void {
    const run = this.db.transaction((rows: readonly PersistedAgent[]) => {
      for (const agent of rows) {
        this.upsert.run({
          agent_id: agent.agent_id,
          cluster_id: agent.cluster_id,
          state: agent.state,
          last_seen_at: agent.numbers.lastSeenAt ?? null,
          data: JSON.stringify(agent),
          updated_at: at,
        });
      }
    });
    run(agents);
  }

  loadAll(): LoadedAgents {
    const loaded: LoadedAgents = { agents: [], invalid: [] };
    for (const row of this.selectAll.iterate() as IterableIterator<{ agent_id: string; data: string }>) {
      let raw: unknown;
      try {
        raw = JSON.parse(row.data);
      } catch {
        loaded.invalid.push({ agentId: row.agent_id, problem: 'not JSON' });
        continue;
      }
      const parsed = PersistedAgent.safeParse(raw);
      if (parsed.success) loaded.agents.push(parsed.data);
      else loaded.invalid.push({ agentId: row.agent_id, problem: parsed.error.issues[0]?.message ?? 'invalid' });
    }
    return loaded;
  }

  count(): number {
    return this.countRows.get() as number;
  }
}
