// The fault handles of a local mesh: the lead killed and started again on the same config and
// database, and a real agent daemon killed and started again on the same data directory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, startLocalMesh, type LocalMesh } from './index.js';
import { waitFor } from './local-mesh.js';

interface AgentView {
  state: string;
  last_heartbeat_at: number | null;
}

describe('local mesh: restarting the lead and a daemon', () => {
  let mesh: LocalMesh;

  beforeAll(async () => {
    mesh = await startLocalMesh({ agents: 4, daemons: 1, heartbeatMs: 500 });
  });

  afterAll(async () => {
    await mesh?.stop();
  });

  it('counts the daemon among the agents, active at the lead', async () => {
    expect(mesh.agentIds).toContain('pi-0');
    expect(mesh.agentIds).toHaveLength(5);
    const view = await mesh.api.getOk<AgentView>('/v1/agents/pi-0');
    expect(view?.state).toBe('active');
  });

  it('brings a SIGKILLed lead back on the same database: an earlier operation is still found', async () => {
    const before = await mesh.operation({ operation_id: 'before-restart', verb: 'observe', selector: { all: true }, release_mode: 'none', min_response_rate: 0.5 });
    expect(before.state).toBe('SUCCEEDED');
    const lead = mesh.lead!;
    const oldPid = lead.pid!;
    await lead.kill();
    expect(isAlive(oldPid)).toBe(false);
    expect(await mesh.api.getOk('/health/live')).toBeUndefined();

    await lead.start();
    expect(lead.pid).not.toBe(oldPid);
    expect(mesh.leadPid).toBe(lead.pid);
    expect(lead.logFiles.map((f) => f.split('/').pop())).toEqual(['lead.log', 'lead.2.log']);
    const found = await mesh.api.getOk<{ operation_id: string }>('/v1/operations/before-restart');
    expect(found?.operation_id).toBe('before-restart');
  });

  it('brings a SIGKILLed daemon back: it heartbeats again as the same agent', async () => {
    const daemon = mesh.daemons![0]!;
    await daemon.proc.kill();
    expect(daemon.proc.running).toBe(false);
    const restartedAt = Date.now();
    await daemon.proc.start();
    expect(daemon.proc.starts).toBe(2);
    const view = await waitFor('pi-0 heartbeating after its restart', 20_000, async () => {
      const v = await mesh.api.getOk<AgentView>('/v1/agents/pi-0');
      return v !== undefined && v.state === 'active' && (v.last_heartbeat_at ?? 0) > restartedAt ? v : undefined;
    });
    expect(view.state).toBe('active');
  });

  it('stops every process before it lets the caller read the files, then removes them', async () => {
    const seen: { dir: string; leadDb: boolean; daemonData: boolean; alive: boolean }[] = [];
    await mesh.stop({
      beforeCleanup: (dir) => {
        seen.push({ dir, leadDb: existsSync(join(dir, 'lead-data', 'lead.db')), daemonData: existsSync(mesh.daemons![0]!.dataDir), alive: mesh.pids.some(isAlive) });
        return Promise.resolve();
      },
    });
    expect(seen).toEqual([{ dir: mesh.dir, leadDb: true, daemonData: true, alive: false }]);
    expect(existsSync(mesh.dir)).toBe(false);
  });
});
