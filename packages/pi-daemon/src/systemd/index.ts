export { SYSTEMD_NOTIFY_BINARY, createServiceNotifier, startWatchdogPings } from './notifier.js';
export type { SystemdNotifier, SystemdNotifierOptions } from './notifier.js';
export { watchdogPingIntervalMs } from '@mesh30k/shared/node';
