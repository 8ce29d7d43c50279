/**
 * Tables of the AgentState Durable Object (SQLite-backed). Created if missing on every start,
 * so a new column or table is one more statement here.
 */
const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS seen_ids (message_id TEXT PRIMARY KEY, created_at REAL NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS seen_ids_created_at ON seen_ids (created_at)`,
  `CREATE TABLE IF NOT EXISTS processing (seq INTEGER PRIMARY KEY AUTOINCREMENT, ms REAL NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS conflicts (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at REAL NOT NULL,
     coordinate_id TEXT NOT NULL,
     operation_id TEXT NOT NULL,
     type TEXT NOT NULL,
     detail TEXT NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
];

export function migrate(sql: SqlStorage): void {
  for (const statement of STATEMENTS) sql.exec(statement);
}

export function readKv(sql: SqlStorage, key: string): string | undefined {
  const rows = sql.exec<{ value: string }>('SELECT value FROM kv WHERE key = ?', key).toArray();
  return rows[0]?.value;
}

export function writeKv(sql: SqlStorage, key: string, value: string): void {
  sql.exec('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
}
