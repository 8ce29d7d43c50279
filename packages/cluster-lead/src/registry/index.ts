/** The registry: one record per agent, its liveness rules, and the read side the engines use. */
export { Registry, type HardwareSummary, type RegistryDeps, type RegistryStatus } from './registry.js';
export { registryOptionsFrom, type RegistryOptions } from './options.js';
export type { HeartbeatContext, HeartbeatOutcome } from './heartbeat-apply.js';
export type { AckOutcome } from './health-flow.js';
export { DEFAULT_HISTORY_SAMPLES, type HistorySample, type OutcomeSample } from './agent-history.js';
export { ROUTABLE_STATES, type AgentQuery, type ExclusionReason, type Selection } from './query.js';
export type { AgentTimingInputs, ScheduleTarget, TimingConditions } from './timing.js';
export { toMeshTime, type AgentView, type ClockView, type SystemView } from './views.js';
export type { StateCounts } from './core.js';
export type { ProbeState } from './agent-record.js';
export type { Prober, ProbeResult } from './prober.js';
export type { SweepReport } from './sweeper.js';
export { GuardRails, nodeLagMonitor, type GuardDeps, type GuardOptions, type GuardReading, type LagMonitor } from './guard-rails.js';
export { PERSISTED_AGENT_VERSION, PersistedAgent } from './persisted-agent.js';
