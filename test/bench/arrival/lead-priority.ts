// The arrival benchmark runs the lead on the same two cores as the sims. Right after T the sims
// send every agent's ACK while the lead checks the first ones to arrive; in a real mesh the lead
// and the Pis are different machines. On main (LAN, 1,000 agents in three sims) one sim's release
// pass took 60-100 ms in one or two operations of each run (the others 4-18 ms), mostly waiting
// for a CPU, and its ACKs reached the observer that much later. ARRIVAL_LEAD_NICE=5 runs the lead
// at a lowered priority during hold operations (it has nothing timed to do then: its COORDINATE
// left long before T), and at the default priority for lead and naive ones, whose timed sends are
// under test (lowered throughout, lead-mode sends went out late: p90 130-190 ms against 4-25).
// Off by default: in four runs it did not remove the stalled passes (observed hold p99 73-117 ms
// on LAN against 101-125 on main), and in the two runs with it in hold operations only, lead-mode
// sends on mixed were still late (p90 95-105 ms against 4-5), not understood (docs/BENCHMARKS.md).
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The lead's nice value during hold operations in bench:arrival (ARRIVAL_LEAD_NICE sets it; 0 leaves the lead as it is). */
export const DEFAULT_LEAD_NICE = 0;

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
