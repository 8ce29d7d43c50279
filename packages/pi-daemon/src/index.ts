/**
 * @mesh30k/pi-daemon: the agent runtime of a Raspberry Pi (and, in simulation mode, of many
 * virtual agents in one process). Importing it opens nothing; `runDaemon` (main.ts) and the
 * `mesh-agent` CLI are the entry points that do.
 */
export { Agent } from './agent/agent.js';
export type { AgentStatus } from './agent/status-report.js';
export type { AgentDeps, SharedRuntime } from './agent/deps.js';
export { DEFAULT_AGENT_TUNING, resolveTuning } from './agent/options.js';
export type { AgentIdentity, AgentTuning } from './agent/options.js';
export { LogEvent } from './logging/events.js';
export type { AgentCounters } from './agent/counters.js';
export { pinnedKeyResolver, pinnedLeadResolver, trustStoreResolver } from './agent/lead-keys.js';
export { statusDocument } from './agent/status-report.js';

export { AgentClock, MAX_SIMULATED_DRIFT_PPM, SkewedClock, UNSYNCED_ERROR_BOUND_MS, monotonicMs, trueClock } from './clock/index.js';
export { DEFAULT_SPIN_MARGIN_MS, PreciseTimer } from './clock/precise-timer.js';
export type { ReleaseHandle, ReleaseRequest } from './clock/precise-timer.js';

export { BUILT_IN_HANDLERS, SyncPayload, handlerRegistry, syncHandler } from './coordination/handlers.js';
export type { HandlerContext, HandlerOutcome, HandlerRegistry, VerbHandler } from './coordination/handlers.js';
export { EMPTY_CONTEXT_HASH, hashPayload } from './coordination/context-hash.js';
export { PriorityWorkQueue } from './coordination/priority-queue.js';
export { isSelected, missingCapabilities } from './coordination/selector.js';
export type { DeclineCode } from './coordination/intake.js';

export * from './heartbeat/index.js';
export * from './nats/index.js';
export * from './sim/index.js';

export { runCli } from './cli/run-cli.js';
export { EXIT } from './cli/exit-codes.js';
export type { Output } from './cli/output.js';
export { SHUTDOWN_BOUND_MS, runDaemon } from './main.js';
export type { DaemonOptions } from './main.js';
