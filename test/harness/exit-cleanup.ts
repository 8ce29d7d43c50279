// Last-resort cleanup for child processes and temp dirs when a test process ends without
// calling stop()/dispose(). Cleanups must be synchronous: 'exit' allows no more I/O turns.
import { isMainThread } from 'node:worker_threads';

export type SyncCleanup = () => void;

// Signals whose default action kills the process without emitting 'exit'. A test runner
// stops its workers with SIGTERM, so without this the servers they started would outlive them.
const TERMINATING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const cleanups = new Set<SyncCleanup>();
let installed = false;

/** Registers a cleanup to run at process exit; returns a function that unregisters it. */
export function onProcessExit(cleanup: SyncCleanup): () => void {
  install();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

function runAll(): void {
  // Last registered runs first, so a server is killed before its store dir is removed.
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // Best effort: the process is going away and there is no one left to report to.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  // Signals reach only the main thread; a worker thread relies on 'exit' alone.
  if (!isMainThread) return;
  for (const signal of TERMINATING_SIGNALS) {
    process.once(signal, () => {
      runAll();
      // Re-raise only if nobody else handles it, so the default (terminate) still happens.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
