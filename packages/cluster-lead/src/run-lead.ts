import { describeUnknownEnv, type UnknownEnvName } from '@mesh30k/shared';
import { createSystemdNotifier, startWatchdogPings } from '@mesh30k/shared/node';
import { ENV_PREFIX, type LeadConfig } from './config/index.js';
import { EXIT } from './lib/errors.js';
import { createLogger } from './lib/logger.js';
import { startLead, type LeadOverrides } from './main.js';

/** What the command line knows before the lead starts. */
export interface RunOptions {
  /** MESH_LEAD_* variables that match no config key: warned about once the logger exists. */
  unknownEnv?: readonly UnknownEnvName[];
  /** Ends the process when the shutdown timeout passes (default process.exit); tests replace it. */
  exit?: (code: number) => void;
}

/**
 * Runs a lead until SIGTERM or SIGINT: then it stops taking heartbeats, flushes its snapshot,
 * drains NATS and resolves with exit status 0, or 1 when a stop step failed. Whatever hangs,
 * the process exits 1 once `shutdown.timeout_ms` has passed since the signal, with a log line
 * saying so. SIGHUP re-reads the enrollment files. Under systemd (Type=notify) it sends
 * READY=1 once its API serves (NATS may still be connecting: the lead works through an
 * outage), WATCHDOG=1 from its event loop and STOPPING=1 on stop.
 */
export async function runLead(config: LeadConfig, overrides: LeadOverrides = {}, options: RunOptions = {}): Promise<number> {
  const logger = overrides.logger ?? createLogger({ level: config.log.level, leadId: config.lead_id, clusterId: config.cluster_id, env: process.env });
  if (options.unknownEnv !== undefined && options.unknownEnv.length > 0) {
    logger.warn({ names: options.unknownEnv.map((entry) => entry.name) }, `${ENV_PREFIX}* variables that match no config key: ${describeUnknownEnv(options.unknownEnv)}`);
  }
  const lead = await startLead(config, { ...overrides, logger });
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const systemd = lead.logger.child({ domain: 'systemd' });
  const notifier = createSystemdNotifier({
    env: process.env,
    onProblem: (problem) => {
      if (problem.kind === 'unavailable') systemd.warn({ reason: problem.reason }, 'systemd notifications unavailable');
      else systemd.error({ args: problem.args, err: problem.error }, 'systemd-notify failed');
    },
  });
  notifier.ready();
  notifier.status(`lead ${config.lead_id} serving on ${config.http.host}:${config.http.port}`);
  const stopWatchdog = startWatchdogPings(notifier);
  return new Promise<number>((resolve) => {
    const onStop = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onReload);
      // Armed until the process ends: a step that timed out may leave a handle open that
      // would keep the process alive; unref'd, it never delays an exit that is happening anyway.
      const deadline = setTimeout(() => {
        lead.logger.fatal({ signal, timeout_ms: config.shutdown.timeout_ms }, `still running shutdown.timeout_ms (${config.shutdown.timeout_ms} ms) after ${signal}; exiting ${EXIT.FAILURE}`);
        exit(EXIT.FAILURE);
      }, config.shutdown.timeout_ms);
      deadline.unref();
      stopWatchdog();
      notifier.stopping();
      lead
        .stop(`received ${signal}`)
        .then(() => notifier.settled())
        .then(() => resolve(EXIT.OK))
        .catch((error: unknown) => {
          lead.logger.error({ err: error }, `shutdown failed; exiting ${EXIT.FAILURE}`);
          resolve(EXIT.FAILURE);
        });
    };
    const onReload = (): void => {
      lead
        .reloadEnrollments()
        .then((counts) => lead.logger.info(counts, 'enrollments reloaded'))
        .catch((error: unknown) => lead.logger.error({ err: error }, 'enrollment reload failed'));
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onReload);
  });
}
