import { describe, expect, it } from 'vitest';
import { acksFromArrivals, acksFromHistory, acksFromLog, reconcile, type AgentAck, type LeadAck } from './ack-ledger.js';

const line = (o: object): string => JSON.stringify(o);

describe('soak ACK ledger', () => {
  it('reads READY from a sim arrivals file, skipping a line cut by a kill', () => {
    const text = [line({ agent_id: 's0-1', operation_id: 'op-1', mode: 'hold' }), line({ agent_id: 's0-2', operation_id: 'op-1' }), '{"agent_id":"s0-3","oper'].join('\n');
    expect(acksFromArrivals(text)).toEqual([
      { agentId: 's0-1', operationId: 'op-1', state: 'ready', source: 'sim' },
      { agentId: 's0-2', operationId: 'op-1', state: 'ready', source: 'sim' },
    ]);
  });

  it('reads the decisions that send an ACK from an agent log, only the states asked for', () => {
    const text = [
      line({ event: 'coordinate.ready', agent_id: 'pi-0', operation: 'op-1' }),
      line({ event: 'coordinate.refused', agent_id: 'pi-0', operation: 'op-2', code: 'QUEUE_FULL' }),
      line({ event: 'coordinate.conflict', agent_id: 'pi-0', operation: 'op-3' }),
      line({ event: 'outbox.enqueued', agent_id: 'pi-0', operation: 'op-1' }),
      'not json',
    ].join('\n');
    expect(acksFromLog(text, 'daemon', ['ready', 'transit', 'conflict']).map((a) => [a.operationId, a.state, a.code])).toEqual([
      ['op-1', 'ready', undefined],
      ['op-2', 'transit', 'QUEUE_FULL'],
      ['op-3', 'conflict', undefined],
    ]);
    expect(acksFromLog(text, 'sim', ['transit', 'conflict'])).toHaveLength(2);
  });

  it('reads responders, conflicts and late ACKs from a history row; a row with no result has none', () => {
    const row = { operationId: 'op-1', status: 'completed', result: { result: { responders: [{ agentId: 'a' }], conflicts: [{ agentId: 'b' }] }, late_acks: [{ agentId: 'c' }] } };
    expect(acksFromHistory(row)).toEqual([
      { operationId: 'op-1', agentId: 'a', where: 'result' },
      { operationId: 'op-1', agentId: 'b', where: 'result' },
      { operationId: 'op-1', agentId: 'c', where: 'late' },
    ]);
    expect(acksFromHistory({ operationId: 'op-2', status: 'running', result: { result: null, late_acks: [] } })).toEqual([]);
  });

  it('counts lost, duplicated and unmatched ACKs exactly, over the operations counted only', () => {
    const sent: AgentAck[] = [
      { agentId: 'a', operationId: 'op-1', state: 'ready', source: 'sim' },
      { agentId: 'b', operationId: 'op-1', state: 'ready', source: 'sim' },
      { agentId: 'pi-0', operationId: 'op-1', state: 'ready', source: 'daemon' },
      { agentId: 'a', operationId: 'warm-1', state: 'ready', source: 'sim' },
    ];
    const atLead: LeadAck[] = [
      { operationId: 'op-1', agentId: 'a', where: 'result' },
      { operationId: 'op-1', agentId: 'a', where: 'late' },
      { operationId: 'op-1', agentId: 'b', where: 'result' },
      { operationId: 'op-1', agentId: 'x', where: 'result' },
    ];
    const r = reconcile(sent, atLead, (id) => id.startsWith('op-'));
    expect(r.sent).toBe(3);
    expect(r.reached).toBe(2);
    expect(r.lost.map((a) => a.agentId)).toEqual(['pi-0']);
    expect(r.duplicated).toBe(1);
    expect(r.unmatchedAtLead.map((l) => l.agentId)).toEqual(['x']);
    expect(r.duplicatedByAgents).toBe(0);
  });
});
