export { registerAgentMetrics } from './agent-metrics.js';
export { createAgentMetrics, type AgentMetrics } from './agent-registry.js';
