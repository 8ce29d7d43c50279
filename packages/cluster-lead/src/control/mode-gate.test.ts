// Degradation enforcement: the engine's mode gate reads the registry's mode through its port,
// and shared's restrictions decide (moderate: no scatter over 1,000 agents; emergency: no
// automated operations).
import { DEGRADED_MAX_SCATTER } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { agent, makeFixture } from '../../test/scatter/support/engine-fixture.js';
import { harness } from '../registry/registry.test-helper.js';
import { registryPorts } from '../registry-ports.js';

const fleet = (n: number) => Array.from({ length: n }, (_, i) => agent(`a-${i}`));

describe('degradation modes at admission', () => {
  it('the scatter mode port is the registry mode', () => {
    const h = harness();
    expect(registryPorts(h.registry).mode.mode()).toBe(h.registry.mode);
  });

  it('moderate mode refuses a scatter over 1,000 agents, and lets 1,000 through', async () => {
    const fx = await makeFixture(fleet(DEGRADED_MAX_SCATTER + 1));
    fx.mode.current = 'DEGRADED_MODERATE';
    const big = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, priority: 3 });
    expect(big.admission).toBe('refused');
    expect(await big.outcome).toMatchObject({ status: 'refused', refusal: { code: 'SCATTER_TOO_LARGE' } });
    const ids = fleet(DEGRADED_MAX_SCATTER).map((a) => a.agentId);
    const small = await fx.engine.submit({ verb: 'act', payload: null, targets: { agent_ids: ids }, priority: 3 });
    expect(small.admission).toBe('started');
  });

  it('emergency mode halts automated operations', async () => {
    const fx = await makeFixture(fleet(5));
    fx.mode.current = 'EMERGENCY';
    const automated = await fx.engine.submit({ verb: 'act', payload: null, targets: { cluster_id: 'cluster-1' }, automated: true, priority: 3 });
    expect(await automated.outcome).toMatchObject({ status: 'refused', refusal: { code: 'AUTOMATION_HALTED' } });
  });
});
