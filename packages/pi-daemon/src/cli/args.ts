import { parseArgs, type ParseArgsConfig } from 'node:util';
import { attachDashValues } from '@mesh30k/shared/node';
import type { Output } from './output.js';

/** A command-line mistake: printed as one line plus the command's usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict parseArgs: unknown flags, missing values and stray arguments become UsageErrors. */
export function parseFlags<O extends Options>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: attachDashValues(argv, options), options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new UsageError(message);
  }
}

export function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing required option --${flag}`);
  return value;
}

export function integerFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/** One CLI sub-command. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: readonly string[], io: Output): Promise<number>;
}
