export { SYSTEMD_NOTIFY_BINARY, createSystemdNotifier, startWatchdogPings } from './notifier.js';
export type { NotifyProblem, ServiceNotifier, SystemdNotifier, SystemdNotifierOptions } from './notifier.js';
export { watchdogPingIntervalMs } from './watchdog.js';
