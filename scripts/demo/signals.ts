// SIGINT and SIGTERM belong to the demo, so that a stop is graceful and always completes.
// What the harness loads installs its own handlers: wrangler at import and Miniflare's
// exit-hook when a Worker starts call process.exit() at once (skipping the stop and its
// summary), and the harness's exit-cleanup SIGKILLs every child. `reclaim()` removes every
// handler but ours; it is called at each start-up step, since they arrive as the mesh starts.
// Crashes are still covered: exit-cleanup's 'exit' handler kills whatever is left.
export const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface SignalClaim {
  reclaim(): void;
  release(): void;
}

export function claimSignals(onSignal: (signal: NodeJS.Signals) => void): SignalClaim {
  const claim: SignalClaim = {
    reclaim() {
      for (const signal of HANDLED_SIGNALS) {
        // listeners(), not rawListeners(): tsx's CLI hides from it the handler that tells its
        // parent process the signal arrived (without it, that parent SIGKILLs this process).
        for (const listener of process.listeners(signal)) if (listener !== onSignal) process.off(signal, listener);
        if (!process.listeners(signal).includes(onSignal)) process.on(signal, onSignal);
      }
    },
    release() {
      for (const signal of HANDLED_SIGNALS) process.off(signal, onSignal);
    },
  };
  claim.reclaim();
  return claim;
}
