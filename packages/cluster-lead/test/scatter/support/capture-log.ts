// A pino logger whose lines land in an array, so tests can assert on named events.
import { pino } from 'pino';
import type { Logger } from 'pino';

export interface LogLine {
  readonly level: number;
  readonly event?: string;
  readonly operation_id?: string;
  readonly [key: string]: unknown;
}

export function captureLog(): { logger: Logger; lines: LogLine[]; events: () => string[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines, events: () => lines.flatMap((l) => (l.event === undefined ? [] : [l.event])) };
}
