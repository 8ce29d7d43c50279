// The arrival benchmark runs the lead on the same two cores as the sims. Right after T the sims
// send every agent's ACK while the lead checks the first ones to arrive; in a real mesh the lead
// and the Pis are different machines, so the lead's checks never take a CPU from a Pi's send.
// Measured on main (LAN, 1,000 agents in three sims): in most operations one sim waited about
// 50 ms for a CPU in its release pass (its pass took 58-89 ms against 4-15 ms for the other two),
// and its ACKs reached the observer that much later. So during hold operations the lead runs at
// a lowered priority: it still gets every idle cycle, but the sims' sends at T come first; it has
// nothing timed to do then (its COORDINATE left long before T). In lead and naive operations its
// sends are the timing under test, and lowered it sent late (lead mode: send late p90 143 ms
// against 25), so it runs at the default priority for those. The observer (ack-observer.ts) is
// raised above both.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The lead's nice value during hold operations in bench:arrival (ARRIVAL_LEAD_NICE overrides; 0 leaves it as it is). */
export const DEFAULT_LEAD_NICE = 5;

/**
 * Sets every thread of process `pid` to `nice` (Linux sets it per thread; threads started later
 * inherit it from the one that starts them). False where the OS refused or the process is gone.
 */
export function setProcessNice(pid: number, nice: number): boolean {
  let threads: number[];
  try {
    threads = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    threads = [pid];
  }
  try {
    for (const tid of threads) setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
