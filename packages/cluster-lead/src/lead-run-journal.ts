/**
 * The scatter engine's RunJournal on the lead's database (store/running-operations.ts): an
 * operation's request and plan when it starts, each ACK group-committed before it is answered,
 * the rows removed once it is decided. A row that cannot be read back is logged and dropped:
 * resuming is best effort, the history row of that operation says it never finished.
 */
import type { Logger } from './lib/logger.js';
import type { AgentArrival, JournaledRun, ResumableRun, RunJournal } from './scatter/index.js';
import { AckWriteBatch, type RunningOperations } from './store/index.js';

export function leadRunJournal(running: RunningOperations, logger: Logger): RunJournal {
  const batch = new AckWriteBatch(running);
  return {
    begun(run: JournaledRun) {
      running.begin(run.operationId, run.startedAt, run.deadline, run);
    },
    acked(operationId: string, arrival: AgentArrival) {
      return batch.add({ operationId, agentId: arrival.agentId, receivedAt: arrival.receivedAt, arrival });
    },
    ended(operationId: string, alongside: () => void) {
      running.end(operationId, alongside);
    },
    load(): ResumableRun[] {
      const resumable: ResumableRun[] = [];
      for (const row of running.load()) {
        const run = row.state as Partial<JournaledRun> | null;
        if (run === null || typeof run !== 'object' || run.op === undefined || run.plan === undefined || !Array.isArray(run.plan.planned)) {
          logger.error({ operation_id: row.operationId }, 'a running operation stored before the restart cannot be read; dropped');
          running.end(row.operationId);
          continue;
        }
        resumable.push({ ...(run as JournaledRun), operationId: row.operationId, deadline: row.deadline, arrivals: row.acks.map((a) => a.arrival as AgentArrival) });
      }
      return resumable;
    },
  };
}
