/**
 * systemd's watchdog settings, from the environment it gives the service (sd_watchdog_enabled(3)):
 * WATCHDOG_USEC is WatchdogSec= in microseconds; WATCHDOG_PID, when set, names the process
 * the watchdog is meant for. Pinging at half the interval leaves room for one late ping.
 */
const USEC_PER_MS = 1000;
const PINGS_PER_INTERVAL = 2;

/** Half of WatchdogSec in ms, or null when there is no watchdog for process `pid`. */
export function watchdogPingIntervalMs(env: Readonly<Record<string, string | undefined>>, pid: number): number | null {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined || !/^\d+$/.test(usecText)) return null;
  const usec = Number(usecText);
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  const pidText = env.WATCHDOG_PID;
  if (pidText !== undefined && pidText !== '' && Number(pidText) !== pid) return null;
  return Math.max(1, Math.floor(usec / USEC_PER_MS / PINGS_PER_INTERVAL));
}
