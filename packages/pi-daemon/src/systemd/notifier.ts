/**
 * The agent's systemd notifier: the shared one (@mesh30k/shared/node, where the protocol is
 * described), with its problems logged under the agent's event names.
 */
import { createSystemdNotifier, type SystemdNotifier } from '@mesh30k/shared/node';
import type { Logger } from 'pino';
import { LogEvent } from '../logging/events.js';

export { SYSTEMD_NOTIFY_BINARY, startWatchdogPings } from '@mesh30k/shared/node';
export type { SystemdNotifier } from '@mesh30k/shared/node';

export interface SystemdNotifierOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** The main process id; process.pid by default. */
  pid?: number;
  /** Path or name of systemd-notify; looked up on the PATH of `env` when it is a bare name. */
  binary?: string;
  logger?: Logger;
}

export function createServiceNotifier(options: SystemdNotifierOptions): SystemdNotifier {
  const { logger, ...rest } = options;
  return createSystemdNotifier({
    ...rest,
    onProblem: (problem) => {
      if (problem.kind === 'unavailable') logger?.warn({ event: LogEvent.SYSTEMD_UNAVAILABLE, reason: problem.reason }, 'systemd notifications unavailable');
      else logger?.error({ event: LogEvent.SYSTEMD_NOTIFY_FAILED, args: problem.args, err: problem.error }, 'systemd-notify failed');
    },
  });
}
