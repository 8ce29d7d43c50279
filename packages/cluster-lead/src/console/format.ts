/** Plain-text renderings shared by the commands: the status box, tables, numbers, ages. */
import { visibleLength } from './style.js';

const MS_PER_S = 1000;

export const number = (n: number): string => n.toLocaleString('en-US');

export function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${((part / whole) * 100).toFixed(1)}%`;
}

/** `3h 27m`, `4m 10s`, `12s`, `2d 5h`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / MS_PER_S));
  if (s >= 86_400) return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${s}s`;
}

export const ago = (at: number | null | undefined, now: number): string => (at === null || at === undefined ? 'never' : `${duration(now - at)} ago`);

/** A box with a title row, as the spec draws the status. */
export function box(title: string, lines: readonly string[]): string {
  const width = Math.max(visibleLength(title), ...lines.map(visibleLength));
  const row = (text: string) => `│ ${text}${' '.repeat(width - visibleLength(text))} │`;
  const rule = '─'.repeat(width + 2);
  return [`┌${rule}┐`, row(title), `├${rule}┤`, ...lines.map(row), `└${rule}┘`].join('\n') + '\n';
}

/** Left-aligned columns with a header row; cells may hold colour escapes. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell)))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
