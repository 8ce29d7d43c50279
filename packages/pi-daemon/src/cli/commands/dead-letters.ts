import { ConfigError, DEFAULT_DATA_DIR, loadConfig } from '../../config/index.js';
import { agentDatabasePath, readDeadLetters } from '../../outbox/index.js';
import type { DeadLetter } from '../../ports.js';
import { integerFlag, parseFlags, type Command } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';

const DEFAULT_LIMIT = 20;
const BODY_CHARS = 120;

export const deadLettersCommand: Command = {
  name: 'dead-letters',
  summary: 'list outbox entries the lead refused for good',
  usage: `Usage: mesh-agent dead-letters [--json] [--limit <n>] [--config <file> | --data-dir <dir>]

Lists, newest first, the ACKs and conflicts the lead refused for good (an ACK for an operation
it no longer knows, a message it can never accept). They left the outbox so that nothing
behind them waits; they are kept within outbox.dead_letter_max_entries and
outbox.dead_letter_max_age_ms. Reads <data_dir>/agent.db read-only, beside the running daemon.

Options:
      --json             print them as JSON (with the counts)
      --limit <n>        how many (default ${DEFAULT_LIMIT})
  -c, --config <file>    read data_dir from the daemon's config file (and its MESH_* overrides)
      --data-dir <dir>   the daemon's data directory; wins over the config (default ${DEFAULT_DATA_DIR})
  -h, --help             show this help

Exit status: 0 when the list was read, 66 when there is no database, 78 when --config is invalid.`,
  run(argv, io) {
    return Promise.resolve(list(argv, io, this.usage));
  },
};

function list(argv: readonly string[], io: Output, usage: string): number {
  const flags = parseFlags(argv, {
    json: { type: 'boolean', default: false },
    limit: { type: 'string' },
    config: { type: 'string', short: 'c' },
    'data-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help === true) {
    io.out(usage);
    return EXIT.OK;
  }
  const limit = integerFlag(flags.limit, 'limit', 1, 100_000) ?? DEFAULT_LIMIT;
  let dataDir = DEFAULT_DATA_DIR;
  if (flags.config !== undefined) {
    try {
      dataDir = loadConfig({ path: flags.config, env: process.env }).config.data_dir;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.err(error.message);
      return error.exitCode;
    }
  }
  const path = agentDatabasePath(flags['data-dir'] ?? dataDir);
  let read: ReturnType<typeof readDeadLetters>;
  try {
    read = readDeadLetters(path, limit);
  } catch (error) {
    io.err(`mesh-agent dead-letters: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.NO_INPUT;
  }
  if (flags.json) {
    io.out(JSON.stringify({ count: read.stats.count, total: read.stats.total, dead_letters: read.letters.map(toJson) }, null, 2));
    return EXIT.OK;
  }
  io.out(`${read.stats.count} dead letters kept (${read.stats.total} ever)${read.letters.length < read.stats.count ? `, newest ${read.letters.length} shown` : ''}`);
  for (const letter of read.letters) {
    io.out(`#${letter.seq} ${letter.kind} ${new Date(letter.deadAt).toISOString()} ${letter.code}: ${letter.reason} (${letter.attempts} tries) ${letter.body.slice(0, BODY_CHARS)}`);
  }
  return EXIT.OK;
}

function toJson(letter: DeadLetter): Record<string, unknown> {
  return {
    seq: letter.seq,
    kind: letter.kind,
    stream: letter.stream,
    code: letter.code,
    reason: letter.reason,
    attempts: letter.attempts,
    queued_at: letter.queuedAt,
    dead_at: letter.deadAt,
    body: letter.body,
  };
}
