// Keeps the last lines a child process printed, so a start failure can show them.
import type { Readable } from 'node:stream';

export class LogTail {
  private readonly lines: string[] = [];

  constructor(private readonly capacity: number) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
  }

  snapshot(): readonly string[] {
    return [...this.lines];
  }

  format(): string {
    return this.lines.length > 0 ? this.lines.join('\n') : '(no output)';
  }
}

/** Calls onLine for every complete line of a text stream; flushes a trailing partial line at end. */
export function readLines(stream: Readable, onLine: (line: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) onLine(part.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    if (partial.length > 0) onLine(partial);
    partial = '';
  });
}
