/**
 * Schema migrations, applied in order inside one transaction each; PRAGMA user_version holds
 * how many have run. Append only: a released migration is never edited, a new one follows.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the lead's initial schema.
  `
  CREATE TABLE agents (
    agent_id    TEXT PRIMARY KEY,
    cluster_id  TEXT NOT NULL,
    state       TEXT NOT NULL,
    last_seen_at REAL,
    data        TEXT NOT NULL,
    updated_at  REAL NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX agents_by_cluster ON agents (cluster_id);

  CREATE TABLE conflict_log (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    conflict_id   TEXT NOT NULL UNIQUE,
    received_at   REAL NOT NULL,
    agent_id      TEXT NOT NULL,
    operation_id  TEXT,
    conflict_type TEXT NOT NULL,
    priority      INTEGER NOT NULL,
    signer_id     TEXT NOT NULL,
    signature     TEXT NOT NULL,
    body          BLOB NOT NULL
  );
  CREATE INDEX conflict_log_by_agent ON conflict_log (agent_id, seq);
  CREATE TRIGGER conflict_log_no_update BEFORE UPDATE ON conflict_log
    BEGIN SELECT RAISE(ABORT, 'conflict_log is append-only: rows cannot be updated'); END;
  CREATE TRIGGER conflict_log_no_delete BEFORE DELETE ON conflict_log
    BEGIN SELECT RAISE(ABORT, 'conflict_log is append-only: rows cannot be deleted'); END;

  CREATE TABLE quarantine (
    conflict_id     TEXT PRIMARY KEY,
    agent_id        TEXT NOT NULL,
    message_id      TEXT,
    data            TEXT NOT NULL,
    quarantined_at  REAL NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('held', 'resolved', 'released')),
    resolved_at     REAL,
    resolution      TEXT
  );
  CREATE INDEX quarantine_by_status ON quarantine (status, quarantined_at);

  CREATE TABLE operations (
    operation_id TEXT PRIMARY KEY,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    status       TEXT NOT NULL,
    verb         TEXT NOT NULL,
    priority     INTEGER NOT NULL,
    request      TEXT NOT NULL,
    result       TEXT
  );
  CREATE INDEX operations_by_time ON operations (created_at);

  CREATE TABLE dead_letters (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at   REAL NOT NULL,
    operation_id TEXT,
    agent_id     TEXT,
    kind         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    payload      TEXT NOT NULL
  );

  CREATE TABLE enrollments (
    public_key TEXT PRIMARY KEY,
    agent_id   TEXT NOT NULL,
    signed     TEXT NOT NULL,
    added_at   REAL NOT NULL
  );

  CREATE TABLE lead_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: field sensors: the latest reading of each (agent, sensor) and a bounded history.
  `
  CREATE TABLE sensor_latest (
    agent_id    TEXT NOT NULL,
    sensor_id   TEXT NOT NULL,
    sensor_kind TEXT NOT NULL,
    value       TEXT NOT NULL,
    unit        TEXT,
    error       TEXT,
    sampled_at  REAL NOT NULL,
    seq         INTEGER NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY (agent_id, sensor_id)
  ) WITHOUT ROWID;

  CREATE TABLE sensor_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id    TEXT NOT NULL,
    sensor_id   TEXT NOT NULL,
    sensor_kind TEXT NOT NULL,
    value       TEXT NOT NULL,
    unit        TEXT,
    error       TEXT,
    sampled_at  REAL NOT NULL,
    seq         INTEGER NOT NULL,
    received_at REAL NOT NULL,
    UNIQUE (agent_id, sensor_id, seq)
  );
  CREATE INDEX sensor_history_by_sensor ON sensor_history (agent_id, sensor_id, id);
  `,
  // 3: retention for the conflict log. Still append-only in the middle: rows may be removed only
  // from the oldest end, up to a horizon that never moves back, so history is cut, never edited.
  `
  CREATE TABLE conflict_log_horizon (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    through_seq INTEGER NOT NULL
  );
  INSERT INTO conflict_log_horizon (id, through_seq) VALUES (1, 0);
  CREATE TRIGGER conflict_log_horizon_forward BEFORE UPDATE ON conflict_log_horizon
    WHEN NEW.through_seq < OLD.through_seq
    BEGIN SELECT RAISE(ABORT, 'conflict_log retention horizon cannot move back'); END;
  CREATE TRIGGER conflict_log_horizon_no_delete BEFORE DELETE ON conflict_log_horizon
    BEGIN SELECT RAISE(ABORT, 'conflict_log retention horizon cannot be deleted'); END;
  DROP TRIGGER conflict_log_no_delete;
  CREATE TRIGGER conflict_log_no_delete BEFORE DELETE ON conflict_log
    WHEN OLD.seq > (SELECT through_seq FROM conflict_log_horizon WHERE id = 1)
    BEGIN SELECT RAISE(ABORT, 'conflict_log is append-only: rows cannot be deleted (retention removes only the oldest)'); END;
  `,
  // 4: operations in flight, so a lead killed mid-operation resumes them: what is needed to go on
  // (request, plan, deadline; JSON the scatter engine defines) and each ACK taken so far, one row
  // per (operation, agent) so a redelivered ACK is stored once. Rows leave when the operation is
  // decided and its result is in the operations table.
  `
  CREATE TABLE running_operations (
    operation_id TEXT PRIMARY KEY,
    started_at   REAL NOT NULL,
    deadline     REAL NOT NULL,
    state        TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE running_operation_acks (
    operation_id TEXT NOT NULL REFERENCES running_operations (operation_id) ON DELETE CASCADE,
    agent_id     TEXT NOT NULL,
    received_at  REAL NOT NULL,
    arrival      TEXT NOT NULL,
    PRIMARY KEY (operation_id, agent_id)
  ) WITHOUT ROWID;
  `,
  // 5: a parent lead's table of child leads (cascade), kept across restarts.
  `
  CREATE TABLE cascade_children (
    lead_id     TEXT PRIMARY KEY,
    received_at REAL NOT NULL,
    entry       TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 6: a sensor reading's identity includes the agent's boot: an agent whose state was wiped
  // counts seq from 0 again under a new boot id, and its readings are new, not redeliveries.
  // '' stands for readings from agents that send no boot id.
  `
  ALTER TABLE sensor_latest ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';
  CREATE TABLE sensor_history_v6 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id    TEXT NOT NULL,
    sensor_id   TEXT NOT NULL,
    sensor_kind TEXT NOT NULL,
    value       TEXT NOT NULL,
    unit        TEXT,
    error       TEXT,
    sampled_at  REAL NOT NULL,
    seq         INTEGER NOT NULL,
    received_at REAL NOT NULL,
    boot_id     TEXT NOT NULL DEFAULT '',
    UNIQUE (agent_id, sensor_id, boot_id, seq)
  );
  INSERT INTO sensor_history_v6 (id, agent_id, sensor_id, sensor_kind, value, unit, error, sampled_at, seq, received_at)
    SELECT id, agent_id, sensor_id, sensor_kind, value, unit, error, sampled_at, seq, received_at FROM sensor_history;
  DROP TABLE sensor_history;
  ALTER TABLE sensor_history_v6 RENAME TO sensor_history;
  CREATE INDEX sensor_history_by_sensor ON sensor_history (agent_id, sensor_id, id);
  `,
  // 7: an operation's state (its request and the plan of every agent: megabytes at 10,000
  // agents) moves out of running_operations, a WITHOUT ROWID table, where every ACK insert's
  // parent check (the EXISTS and the foreign key) read the whole row, overflow pages and all:
  // about 400 us per ACK at 5,000 agents, on the lead's main thread while it counted them.
  `
  CREATE TABLE running_operation_states (
    operation_id TEXT PRIMARY KEY,
    state        TEXT NOT NULL
  );
  INSERT INTO running_operation_states (operation_id, state) SELECT operation_id, state FROM running_operations;
  UPDATE running_operations SET state = '';
  `,
];
