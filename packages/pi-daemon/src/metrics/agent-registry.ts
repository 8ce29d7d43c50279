/**
 * The daemon's one metrics registry: prom-client's process and Node metrics, the event-loop
 * histogram and the agent's families. Built by main.ts for the real daemon only: a sim's
 * virtual agents share a process and get none (one process, one set of process metrics).
 */
import { Registry } from 'prom-client';
import { registerProcessMetrics, startEventLoopDelayMetrics } from '@mesh30k/shared/node';
import type { AgentStatus } from '../agent/status-report.js';
import { registerAgentMetrics } from './agent-metrics.js';

export interface AgentMetrics {
  readonly registry: Registry;
  /** Stops the event-loop monitor. */
  stop(): void;
}

export function createAgentMetrics(status: () => AgentStatus): AgentMetrics {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const stop = startEventLoopDelayMetrics(registry, 'mesh_agent');
  registerAgentMetrics(registry, status);
  return { registry, stop };
}
