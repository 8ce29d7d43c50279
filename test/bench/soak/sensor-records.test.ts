import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { streamsFromDaemonLogs } from './sensor-records.js';

describe('soak sensor records: a daemon\'s logs', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'soak-sensor-records-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the readings each run wrote to its outbox, per sensor, skipping other lines and one cut by a kill', async () => {
    const line = (o: Record<string, unknown>): string => JSON.stringify({ level: 20, time: 1, agent: 'pi-0', ...o });
    const first = join(dir, 'agent.log');
    const second = join(dir, 'agent.2.log');
    await writeFile(
      first,
      [line({ event: 'sensor.reading', sensor: 'echo', seq: 0, value: 1 }), line({ event: 'outbox.enqueued', seq: 9 }), line({ event: 'sensor.reading', sensor: 'echo', seq: 1 }), line({ event: 'sensor.reading', sensor: 'door', seq: 0 }), '{"event":"sensor.reading","sensor":"echo","se'].join('\n'),
    );
    await writeFile(second, `${line({ event: 'sensor.reading', sensor: 'echo', seq: 3 })}\n`);
    const streams = await streamsFromDaemonLogs('pi-0', [first, second, join(dir, 'never-written.log')]);
    expect(streams).toEqual([
      { agentId: 'pi-0', sensorId: 'echo', boot: 'run 1', seqs: [0, 1], complete: true },
      { agentId: 'pi-0', sensorId: 'door', boot: 'run 1', seqs: [0], complete: true },
      { agentId: 'pi-0', sensorId: 'echo', boot: 'run 2', seqs: [3], complete: true },
    ]);
  });
});
