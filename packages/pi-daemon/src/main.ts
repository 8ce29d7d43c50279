/**
 * The composition root of `mesh-agent run`: the one place that reads the config, opens files
 * and sockets, builds the agent's dependencies, talks to systemd and handles signals.
 */
import { createRequire } from 'node:module';
import { loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import { describeUnknownEnv, type KeyPair } from '@mesh30k/shared';
import type { Logger } from 'pino';
import { Agent } from './agent/agent.js';
import { decodePublicKey } from '@mesh30k/shared';
import { pinnedLeadResolver } from './agent/lead-keys.js';
import { EnrollmentWaiter, LeadDiscovery } from './enrollment/index.js';
import type { Bus } from './nats/bus.js';
import { statusDocument } from './agent/status-report.js';
import { createAgentMetrics } from './metrics/index.js';
import type { Output } from './cli/output.js';
import { EXIT } from './cli/exit-codes.js';
import { trueClock } from './clock/true-clock.js';
import { ConfigError, loadConfig, type AgentConfig } from './config/index.js';
import { WorkerHealthSampler } from './health/index.js';
import { LogEvent, createLogger, domainLogger } from './logging/index.js';
import { NatsConfigError, supervisorOptionsFrom } from './nats/config-options.js';
import type { ConnectionEvent } from './nats/events.js';
import { NatsSupervisor } from './nats/supervisor.js';
import { openAgentStores } from './outbox/index.js';
import { DataDirError, asDataDirError, ensureWritableDir } from './outbox/data-dir.js';
import { actHandler, SensorHub } from './sensors/index.js';
import { startStatusServer, type StatusServer } from './status/index.js';
import { createServiceNotifier, startWatchdogPings } from './systemd/index.js';

/** SIGTERM to exit: agent grace + ACK timeout + NATS drain, with room to spare (TimeoutStopSec is longer). */
export const SHUTDOWN_BOUND_MS = 15_000;
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export interface DaemonOptions {
  /** From --config; MESH_AGENT_CONFIG and the default path otherwise. */
  configPath?: string;
  env: Readonly<Record<string, string | undefined>>;
  output: Output;
}

/** The package version, read when the daemon starts (never at import). */
function packageVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/** Thrown for operator mistakes found after the config parsed (keys, trust): exit EX_CONFIG. */
class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Runs the daemon until SIGTERM or SIGINT; resolves with the process exit status. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  let config: AgentConfig;
  let root: Logger;
  let log: Logger;
  try {
    const loaded = loadConfig({ ...(options.configPath === undefined ? {} : { path: options.configPath }), env: options.env });
    config = loaded.config;
    root = createLogger({ level: config.log_level, env: options.env });
    log = root.child({ agent_id: config.agent_id, cluster_id: config.cluster_id });
    log.info({ event: LogEvent.CONFIG_LOADED, path: loaded.path, env_overrides: loaded.envOverrides }, `config loaded from ${loaded.path}`);
    if (loaded.unknownEnv.length > 0) {
      log.warn({ event: LogEvent.CONFIG_UNKNOWN_ENV, names: loaded.unknownEnv.map((entry) => entry.name) }, `MESH_* variables that match no config key: ${describeUnknownEnv(loaded.unknownEnv)}`);
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    options.output.err(error.message);
    return error.exitCode;
  }
  try {
    return await runWith(config, { root, log }, options);
  } catch (error) {
    if (error instanceof DataDirError) {
      log.fatal({ event: LogEvent.DATA_DIR_NOT_WRITABLE, path: error.path }, error.message);
      options.output.err(error.message);
      return EXIT.NOPERM;
    }
    if (!(error instanceof StartupError)) throw error;
    log.fatal({ event: LogEvent.CONFIG_INVALID }, error.message);
    options.output.err(error.message);
    return EXIT.CONFIG;
  }
}

async function loadIdentity(config: AgentConfig): Promise<KeyPair> {
  try {
    return await loadKeyPair(config.key_path);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new StartupError(`key_path: ${why} (create one with: mesh-agent keygen --key ${config.key_path} ...)`);
  }
}

/** Timeout of the request for the lead's announcement (as long as a heartbeat's). */
const ANNOUNCE_TIMEOUT_MS = 2_000;

/**
 * The lead's key: pinned (lead_public_key), or learnt from the lead's enrollment signed by one
 * of trust_roots, so a fleet pins the mesh root and not each lead.
 */
function leadKeys(config: AgentConfig, bus: Bus) {
  const pinned = [...(config.lead_public_key === undefined ? [] : [config.lead_public_key]), ...(config.lead_public_keys ?? [])];
  if (pinned.length > 0) return { resolve: pinnedLeadResolver(config.lead_id, pinned), discovery: undefined };
  const roots = (config.trust_roots ?? []).map((text) => decodePublicKey(text)!);
  const discovery = new LeadDiscovery({ bus, ed25519: nodeEd25519, roots, leadId: config.lead_id, clock: trueClock, timeoutMs: ANNOUNCE_TIMEOUT_MS });
  return { resolve: discovery.resolve, discovery };
}

/**
 * `root` has no ids: the Agent adds agent_id and cluster_id to its own lines, and everything
 * else logs through `log`, which carries the same ids, so every line has them exactly once.
 */
async function runWith(config: AgentConfig, loggers: { root: Logger; log: Logger }, options: DaemonOptions): Promise<number> {
  const { root, log: logger } = loggers;
  // Listening from the start: a SIGTERM while starting up still gets a clean stop.
  const stopSignal = nextStopSignal();
  const keyPair = await loadIdentity(config);
  let natsOptions;
  try {
    natsOptions = supervisorOptionsFrom(config.nats, config.agent_id);
  } catch (error) {
    if (error instanceof NatsConfigError) throw new StartupError(`${error.path}: ${error.message}`);
    throw error;
  }

  const stores = openStores(config, logger);
  const health = new WorkerHealthSampler({ intervalMs: config.health.interval_ms, metricTimeoutMs: config.health.metric_timeout_ms, logger: domainLogger(logger, 'health') });
  const notifier = createServiceNotifier({ env: options.env, logger: domainLogger(logger, 'systemd') });
  const supervisor = new NatsSupervisor(natsOptions, { logger: domainLogger(logger, 'nats') });
  // Always present: `identify` blinks the ACT LED even on a Pi with no devices configured.
  const sensors = new SensorHub({ config: config.sensors, localNow: () => trueClock.now(), log: domainLogger(logger, 'sensors') });
  const lead = leadKeys(config, supervisor);
  const signer = nodeEd25519.signerSync(keyPair.privateKey);
  const enrollment = new EnrollmentWaiter({
    bus: supervisor,
    clock: trueClock,
    log: domainLogger(logger, 'enrollment'),
    keys: keyPair,
    signer,
    leadId: config.lead_id,
    identity: { agentId: config.agent_id, clusterId: config.cluster_id, sectorId: config.sector_id, agentClass: config.class, capabilities: config.capabilities },
  });
  const agent = new Agent({
    identity: {
      agentId: config.agent_id,
      clusterId: config.cluster_id,
      sectorId: config.sector_id ?? config.cluster_id,
      agentClass: config.class,
      capabilities: config.capabilities,
      leadId: config.lead_id,
    },
    clock: trueClock,
    signer,
    ed25519: nodeEd25519,
    leadKeys: lead.resolve,
    enrollment,
    ...(lead.discovery === undefined ? {} : { leadKey: lead.discovery }),
    bus: supervisor,
    outbox: stores.outbox,
    state: stores.state,
    health,
    logger: root,
    notifier,
    sensors,
    handlers: { act: actHandler(sensors, config.capabilities) },
    heartbeatAuth: config.heartbeat.auth,
    config: {
      heartbeatIntervalMs: config.heartbeat_interval_ms,
      heartbeatJitter: config.heartbeat_jitter,
      queueCapacity: config.queue.max_depth,
      outboxRatePerSec: config.outbox.replay_rate_per_s,
    },
  });

  const startedAt = Date.now();
  const version = packageVersion();
  health.start();
  let status: StatusServer | undefined;
  const metrics = createAgentMetrics(() => agent.status());
  try {
    status = await startStatusServer({
      host: config.status.host,
      port: config.status.port,
      provider: () => statusDocument(agent.status(), { version, startedAt, health: health.latest() }),
      metrics: metrics.registry,
      logger,
    });
  } catch (error) {
    // The status endpoint is a convenience; a busy port must not keep the agent down.
    logger.error({ event: LogEvent.STATUS_FAILED, err: error }, 'status endpoint unavailable');
  }
  let announcedReady = false;
  supervisor.onEvent((event: ConnectionEvent) => {
    if ((event.type === 'connected' || event.type === 'reconnected') && !announcedReady) {
      announcedReady = true;
      notifier.ready();
    }
    if (event.type === 'connected' || event.type === 'reconnected') notifier.status(`connected to ${event.server}`);
    if (event.type === 'disconnected') notifier.status('NATS unreachable; ACKs go to the outbox');
  });
  const stopWatchdog = startWatchdogPings(notifier);
  // A lead that takes the HA lease publishes its root-signed enrollment: its key is learnt before its first reply.
  const stopLeadKeys = lead.discovery?.listen((result) => {
    if (result.ok && result.learnt) logger.info({ event: LogEvent.LEAD_KEY_LEARNT, lead: config.lead_id }, 'lead key learnt from the enrollment a lead published at takeover');
    if (!result.ok) logger.warn({ event: LogEvent.LEAD_KEY_UNKNOWN, lead: config.lead_id, code: result.code }, result.message);
  });
  supervisor.start();
  agent.start();
  logger.info({ event: LogEvent.AGENT_STARTING, version, lead: config.lead_id, servers: config.nats.servers }, `mesh-agent ${version} running`);

  const signal = await stopSignal;
  logger.info({ event: LogEvent.AGENT_STOPPING, signal }, `${signal}: stopping`);
  notifier.stopping();
  const graceful = async (): Promise<number> => {
    await agent.stop();
    stopLeadKeys?.();
    await supervisor.stop();
    await status?.close();
    metrics.stop();
    stopWatchdog();
    await health.stop();
    stores.close();
    await notifier.settled();
    return EXIT.OK;
  };
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      logger.error({ event: LogEvent.AGENT_STOPPED, bound_ms: SHUTDOWN_BOUND_MS }, 'shutdown did not finish in time; exiting anyway');
      resolve(EXIT.SOFTWARE);
    }, SHUTDOWN_BOUND_MS);
  });
  const code = await Promise.race([graceful(), bound]);
  clearTimeout(timer);
  logger.info({ event: LogEvent.AGENT_STOPPED, code }, 'stopped');
  return code;
}

/** The database in data_dir; a directory (or file) the service user cannot write is a DataDirError. */
function openStores(config: AgentConfig, logger: Logger): ReturnType<typeof openAgentStores> {
  ensureWritableDir(config.data_dir);
  try {
    return openAgentStores({
      dataDir: config.data_dir,
      outboxMaxEntries: config.outbox.max_entries,
      deadLetters: { maxEntries: config.outbox.dead_letter_max_entries, maxAgeMs: config.outbox.dead_letter_max_age_ms },
      logger: domainLogger(logger, 'store'),
    });
  } catch (error) {
    throw asDataDirError(error, config.data_dir) ?? error;
  }
}

function nextStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const handlers = STOP_SIGNALS.map((name) => {
      const handler = (): void => {
        for (const [n, h] of handlers) process.off(n, h);
        resolve(name);
      };
      process.on(name, handler);
      return [name, handler] as const;
    });
  });
}
