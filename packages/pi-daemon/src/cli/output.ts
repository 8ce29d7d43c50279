/**
 * The CLI's one way to print: human output to stdout, operator mistakes to stderr. Nothing
 * else in the daemon writes to the terminal (the daemon's own lines are pino JSON).
 */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const withNewline = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);

export const processOutput: Output = {
  out: (text) => void process.stdout.write(withNewline(text)),
  err: (text) => void process.stderr.write(withNewline(text)),
};

/** An Output that keeps what was printed, for tests. */
export function memoryOutput(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (text) => void stdout.push(withNewline(text)), err: (text) => void stderr.push(withNewline(text)) };
}
