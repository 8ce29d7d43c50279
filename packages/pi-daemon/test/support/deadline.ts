/**
 * Polls a condition until it holds or a deadline passes. For state that has no event to wait
 * on (a counter in another component); never a fixed sleep standing in for synchronisation.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000, pollMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
