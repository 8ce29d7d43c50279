/** What every command gets: the client, the output streams, styles and the global options. */
import type { HttpClient } from './http-client.js';
import type { GlobalOptions, ParsedArgs } from './options.js';
import type { Style } from './style.js';

export interface ConsoleIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export interface CommandContext {
  io: ConsoleIo;
  client: HttpClient;
  options: GlobalOptions;
  /** For stdout. */
  style: Style;
  args: ParsedArgs;
  /** A fresh Idempotency-Key, so a retried write is applied once. */
  idempotencyKey: () => string;
}

export interface Command {
  name: string;
  summary: string;
  /** Usage text after "mesh "; printed by --help and on usage errors. */
  usage: string;
  flags: Readonly<Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>>;
  /** Set for commands that need no credentials. */
  anonymous?: boolean;
  /** Set for commands that never call the lead (context): no credentials loaded, no context read. */
  local?: boolean;
  run: (ctx: CommandContext) => Promise<number>;
}

/** Prints `value` as JSON on stdout. */
export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.io.out(`${JSON.stringify(value, null, 2)}\n`);
}
