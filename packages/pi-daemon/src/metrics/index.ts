export { renderAgentMetrics } from './agent-metrics.js';
