// Small in-memory stand-ins for the registry-side ports, for unit tests of the engine.
import type { MeshMode, Selector, Verb } from '@mesh30k/shared';
import type {
  AgentOutcome,
  MeshModeSource,
  OperationStore,
  OutcomeRecorder,
  ProcessingEstimateView,
  ProcessingQuery,
  Routability,
  ScatterRoutes,
  ScatterTargets,
  TargetAgent,
} from '../../../src/scatter/ports.js';
import type { OperationRecord } from '../../../src/scatter/record.js';
import { selectorMatches } from './selector-match.js';

export class FakeRegistry implements ScatterTargets {
  readonly agents = new Map<string, TargetAgent>();
  /** Expected processing per agent id; default 50 ms, no spread. */
  readonly processing = new Map<string, ProcessingEstimateView>();
  readonly queries: ProcessingQuery[] = [];

  constructor(agents: readonly TargetAgent[] = []) {
    for (const a of agents) this.agents.set(a.agentId, a);
  }

  select(selector: Selector): readonly TargetAgent[] {
    return [...this.agents.values()].filter((a) => selectorMatches(selector, a));
  }

  estimateProcessing(agentId: string, query: ProcessingQuery): ProcessingEstimateView {
    this.queries.push(query);
    return this.processing.get(agentId) ?? { expectedMs: 50, spreadMs: 0 };
  }
}

export class FakeRoutes implements ScatterRoutes {
  readonly blocked = new Map<string, string>();

  routable(agent: TargetAgent): Routability {
    const reason = this.blocked.get(agent.agentId);
    return reason === undefined ? { routable: true } : { routable: false, reason };
  }
}

export class RecordingOutcomes implements OutcomeRecorder {
  readonly recorded: { agentId: string; outcome: AgentOutcome; processingMs: number | null; verb: Verb }[] = [];

  recordOutcome(agentId: string, outcome: AgentOutcome, processingMs: number | null, verb: Verb): void {
    this.recorded.push({ agentId, outcome, processingMs, verb });
  }
}

export class MemoryStore implements OperationStore {
  readonly records = new Map<string, OperationRecord>();
  saves = 0;

  save(record: OperationRecord): void {
    this.saves += 1;
    this.records.set(record.operationId, record);
  }
}

export class SettableMode implements MeshModeSource {
  current: MeshMode = 'FULL';

  mode(): MeshMode {
    return this.current;
  }
}
