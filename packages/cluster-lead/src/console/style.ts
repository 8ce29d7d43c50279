/** Colours for a terminal, and none for pipes, files, or when NO_COLOR is set (no-color.org). */
export interface Style {
  readonly enabled: boolean;
  ok(text: string): string;
  warn(text: string): string;
  bad(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export function createStyle(isTty: boolean, env: Readonly<Record<string, string | undefined>>, forceOff = false): Style {
  const enabled = isTty && !forceOff && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
  if (!enabled) {
    const plain = (text: string) => text;
    return { enabled, ok: plain, warn: plain, bad: plain, dim: plain, bold: plain };
  }
  return { enabled, ok: wrap(32, 39), warn: wrap(33, 39), bad: wrap(31, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

/** The visible width of a string that may hold colour escapes. */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[\d+m/g, '').length;
}
