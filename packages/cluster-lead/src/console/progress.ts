/**
 * A one-line progress display on stderr, shown only on a terminal and only once an operation
 * has taken longer than a second, so quick commands and pipes stay clean.
 */
const SHOW_AFTER_MS = 1000;
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Progress {
  update(text: string): void;
  done(): void;
}

export function createProgress(enabled: boolean, write: (text: string) => void, now: () => number): Progress {
  const started = now();
  let frame = 0;
  let shown = false;
  return {
    update(text) {
      if (!enabled || now() - started < SHOW_AFTER_MS) return;
      shown = true;
      const seconds = ((now() - started) / 1000).toFixed(0);
      write(`\r\u001b[2K${FRAMES[frame++ % FRAMES.length]} ${text} (${seconds}s)`);
    },
    done() {
      if (shown) write('\r\u001b[2K');
      shown = false;
    },
  };
}
