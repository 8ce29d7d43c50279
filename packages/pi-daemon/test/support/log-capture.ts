import pino from 'pino';
import type { Logger } from 'pino';

export interface LogLine {
  level: number;
  event?: string;
  msg: string;
  [key: string]: unknown;
}

/** A real pino logger whose lines are kept in memory, so tests can assert what was logged. */
export function captureLogger(level: pino.LevelWithSilent = 'debug'): { logger: Logger; lines: LogLine[]; events: (name: string) => LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines, events: (name) => lines.filter((line) => line.event === name) };
}
