// The `mesh` console and `mesh-status` as an operator runs them: the installed bin and the
// script as child processes, against a lead, agents and NATS started by the harness.
import { execFile } from 'node:child_process';
import { chmod, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleEnv, makeTempDir, startLocalMesh, type LocalMesh, type TempDir } from '../harness/index.js';

const AGENTS = 12;
const MESH_BIN = fileURLToPath(new URL('../../node_modules/.bin/mesh', import.meta.url));
const MESH_STATUS = fileURLToPath(new URL('../../scripts/mesh-status', import.meta.url));

function run(file: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...bundleEnv(), ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe('mesh console end to end (real processes)', () => {
  let mesh: LocalMesh;
  let env: Record<string, string> = {};
  let keys: TempDir;

  beforeAll(async () => {
    mesh = await startLocalMesh({ agents: AGENTS, seed: 11 });
    // The operator's key lives outside the mesh's directory, which stop() removes.
    keys = await makeTempDir();
    const keyFile = join(keys.path, 'operator.key');
    await copyFile(mesh.operator.keyFile, keyFile);
    await chmod(keyFile, 0o600);
    env = { MESH_LEAD_URL: mesh.leadUrl, MESH_OPERATOR_KEY: keyFile, MESH_OPERATOR_ID: mesh.operator.id };
  }, 60_000);

  afterAll(async () => {
    await mesh?.stop();
    await keys?.dispose();
  });

  it('mesh status: the box, exit 0; --json parses', async () => {
    const box = await run(MESH_BIN, ['status'], env);
    expect(box.stderr).toBe('');
    expect(box.code).toBe(0);
    expect(box.stdout).toContain(`Agents: ${AGENTS} / ${AGENTS} active (100.0%)`);
    const json = await run(MESH_BIN, ['status', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ healthy: true, mesh: { agents_active: AGENTS, agents_total: AGENTS } });
  });

  it('mesh agents --all lists every agent', async () => {
    const list = await run(MESH_BIN, ['agents', '--all', '--page-size', '5', '--json'], env);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { agents: unknown[] }).agents).toHaveLength(AGENTS);
  });

  it('mesh-status on the lead host gives the mesh summary through the console', async () => {
    const line = await run(MESH_STATUS, ['--role', 'lead', '--oneline'], env);
    expect(line.code).toBe(0);
    expect(line.stdout).toMatch(new RegExp(`^OK lead \\S+: ${AGENTS}/${AGENTS} agents active, mode FULL`));
  });

  it('mesh broadcast: every agent received and acknowledged', async () => {
    const sent = await run(MESH_BIN, ['broadcast', 'Context update: Market closed early today'], env);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    // On a busy machine an agent may answer after the deadline: it was still sent to.
    expect(sent.stdout).toMatch(new RegExp(`^Broadcast complete: ${AGENTS} received, \\d+ acknowledged\n$`));
  });

  it('mesh ask: the sampled agents answers, grouped', async () => {
    const asked = await run(MESH_BIN, ['ask', "What's your current context hash?", '--sample', '5'], env);
    expect(asked.stderr).toBe('');
    expect(asked.code).toBe(0);
    const [head, ...groups] = asked.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^[1-5] responses?:$/);
    expect(groups.length).toBeGreaterThan(0);
    // Simulated agents hold no context yet: their hash is empty.
    for (const line of groups) expect(line).toMatch(/^- \d+ agents?: \S+/);
    const json = await run(MESH_BIN, ['ask', 'hash?', '--sample', '3', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'ask', state: 'SUCCEEDED', result: { answers: expect.any(Array) } });
  });

  it('mesh delegate: one agent takes the task', async () => {
    const run1 = await run(MESH_BIN, ['delegate', 'read the sensor', '--to', 'capability:sensor.read', '--verb', 'decide', '--task-timeout', '10'], env);
    expect(run1.stderr).toBe('');
    expect(run1.code).toBe(0);
    expect(run1.stdout).toMatch(/^Delegated to agent \S+\nResult ready in \d+\.\d seconds\n/);
  });

  it('a wrong operator id is an auth failure: exit 77', async () => {
    const refused = await run(MESH_BIN, ['status'], { ...env, MESH_OPERATOR_ID: 'nobody' });
    expect(refused.code).toBe(77);
    expect(refused.stderr).toMatch(/^mesh: status: UNAUTHENTICATED \(UNKNOWN_OPERATOR\)/);
  });

  it('exit 2 once the lead is gone', async () => {
    await mesh.stop();
    const down = await run(MESH_BIN, ['status', '--timeout', '2'], env);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/^mesh: DOWN: cannot reach the lead/);
  });
});
