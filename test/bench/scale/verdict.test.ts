import { describe, expect, it } from 'vitest';
import { parseMachineStat, parseProcStat } from './proc.js';
import { breakReasons, contention, type StepMeasure } from './verdict.js';

const healthy: StepMeasure = {
  agents: 1_000, registered: true, meshCpuShare: 0.5, machineCpuBusy: 0.9, leadCpuCores: 0.3, simsCpuCores: 0.4, natsCpuCores: 0.1, leadCpuUsPerHeartbeat: 600, loopDelayMaxMs: 30, leadRssMb: 200, apiP99Ms: 5, slowConsumers: 0,
  active: 1_000, degraded: 0, offline: 0, quarantined: 0, heartbeatRateAsked: 200, heartbeatRateAchieved: 199, heartbeatRateSent: 200, heartbeatsMissed: 0, scatterSucceeded: true, scatterReadyShare: 1,
};

describe('scale verdict', () => {
  it('finds nothing wrong with a healthy step', () => {
    expect(breakReasons(healthy)).toEqual([]);
  });

  it('names every limit crossed', () => {
    const kinds = breakReasons({ ...healthy, meshCpuShare: 0.95, apiP99Ms: 250, slowConsumers: 2, active: 880, degraded: 100, offline: 20, scatterSucceeded: false, scatterReadyShare: 0.9 }).map((r) => r.kind);
    expect(kinds).toEqual(['cpu', 'event-loop', 'nats', 'heartbeats', 'degraded', 'quorum']);
    expect(breakReasons({ ...healthy, registered: false, leadRssMb: 2_000 }).map((r) => r.kind)).toEqual(['startup', 'memory']);
    expect(breakReasons({ ...healthy, active: 999, quarantined: 1 }).map((r) => r.kind)).toEqual(['quarantined']);
  });

  it('tells agents the lead judged degraded from agents it stopped hearing', () => {
    expect(breakReasons({ ...healthy, active: 990, degraded: 10 })).toEqual([]);
    expect(breakReasons({ ...healthy, active: 980, degraded: 20 }).map((r) => r.kind)).toEqual(['degraded']);
    expect(breakReasons({ ...healthy, active: 980, offline: 5 })[0]?.detail).toContain('5 offline and 15 unseen');
  });

  it('counts missed heartbeats and a rate below the asked one', () => {
    expect(breakReasons({ ...healthy, heartbeatsMissed: 11 })[0]?.kind).toBe('heartbeats');
    expect(breakReasons({ ...healthy, heartbeatRateAchieved: 150 })[0]?.detail).toContain('75.0%');
  });
});

describe('contention', () => {
  it('is flagged when the machine is much busier than the mesh explains', () => {
    expect(contention({ machineCpuBusy: 1, meshCpuShare: 0.19 })).toContain('other work competed');
    expect(contention({ machineCpuBusy: 0.9, meshCpuShare: 0.85 })).toBeNull();
    expect(contention({ machineCpuBusy: Number.NaN, meshCpuShare: 0.1 })).toBeNull();
  });
});

describe('/proc parsing', () => {
  it('reads CPU seconds and RSS of a process, even with spaces in its name', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[11] = '150'; // utime
    fields[12] = '50'; // stime
    fields[21] = '25600'; // rss pages
    expect(parseProcStat(`42 (node a) b) ${fields.join(' ')}`)).toEqual({ cpuS: 2, rssMb: 100 });
  });

  it('reads busy and total jiffies of the machine', () => {
    expect(parseMachineStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3')).toEqual({ busy: 150, total: 1000 });
  });
});
