import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { generateKeyFile } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNats, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
import { INTAKE_OPEN_MESSAGE } from '../../src/main.js';
import { TestAgent, createTestRoot } from '../support/test-agents.js';

const BIN = new URL('../../bin/mesh-lead.js', import.meta.url).pathname;

let nats: NatsServer;
let dir: TempDir;
beforeAll(async () => {
  nats = await startNats();
  dir = await makeTempDir('mesh30k-process-');
});
afterAll(async () => {
  await nats.dispose();
  await dir.dispose();
});

/** Resolves with the first JSON log line whose msg is `message`. */
function logLine(child: ChildProcess, message: string): Promise<Record<string, unknown>> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.msg === message) resolve(parsed);
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`mesh-lead exited (${code}) before logging "${message}"`)));
  });
}

describe('mesh-lead run as a process', () => {
  it('serves, and on SIGTERM stops intake, flushes its snapshot and exits 0', async () => {
    const root = await createTestRoot();
    const leadKeys = await generateKeyFile(join(dir.path, 'lead.key'));
    const clock = { now: () => Date.now() };
    const agent = await TestAgent.create({ agentId: 'pi-proc', leadId: 'lead-proc', leadPublicKey: leadKeys.publicKey, root, clusterId: 'cluster-1', clock });
    await writeFile(join(dir.path, 'enrollments.json'), JSON.stringify([agent.enrollment]));
    const config = {
      lead_id: 'lead-proc',
      cluster_id: 'cluster-1',
      nats: { servers: [nats.url] },
      key_path: join(dir.path, 'lead.key'),
      trust: { root_public_keys: [root.publicKeyText], enrollments: join(dir.path, 'enrollments.json') },
      data_dir: join(dir.path, 'data'),
      http: { port: 0 },
      ingest: { verify_threads: 1 },
    };
    await writeFile(join(dir.path, 'lead.json'), JSON.stringify(config));

    const child = spawn(process.execPath, [BIN, 'run', '--config', join(dir.path, 'lead.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await logLine(child, INTAKE_OPEN_MESSAGE);
      await agent.connect(nats.url);
      const { reply } = await agent.heartbeat();
      expect(reply.accepted).toBe(true);

      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      expect(signal).toBeNull();
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await agent.close();
    }
    const db = new Database(join(dir.path, 'data', 'lead.db'), { readonly: true });
    const row = db.prepare('SELECT agent_id, state FROM agents').get();
    db.close();
    expect(row).toEqual({ agent_id: 'pi-proc', state: 'active' });
  });
});
