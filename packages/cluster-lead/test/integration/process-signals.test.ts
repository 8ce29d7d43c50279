import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { generateKeyFile } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNats, waitFor, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
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
      http: { port: 0, allow_plain_http: true },
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

  it('under systemd (Type=notify) sends READY with its pid, watchdog pings, and STOPPING on SIGTERM', async () => {
    const root = await createTestRoot();
    await generateKeyFile(join(dir.path, 'notify-lead.key'));
    // A stand-in for systemd-notify that records each call; the lead finds it on PATH.
    const bin = join(dir.path, 'fake-bin');
    const calls = join(dir.path, 'notify-calls.txt');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'systemd-notify'), `#!/bin/sh\necho "$*" >> ${calls}\n`, { mode: 0o755 });
    const config = {
      lead_id: 'lead-notify',
      cluster_id: 'cluster-1',
      nats: { servers: [nats.url] },
      key_path: join(dir.path, 'notify-lead.key'),
      trust: { root_public_keys: [root.publicKeyText] },
      data_dir: join(dir.path, 'notify-data'),
      http: { port: 0, allow_plain_http: true },
      ingest: { verify_threads: 0 },
    };
    await writeFile(join(dir.path, 'notify-lead.json'), JSON.stringify(config));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NOTIFY_SOCKET: join(dir.path, 'notify.sock'), WATCHDOG_USEC: '200000' };
    const child = spawn(process.execPath, [BIN, 'run', '--config', join(dir.path, 'notify-lead.json')], { stdio: ['ignore', 'pipe', 'inherit'], env });
    const recorded = async (): Promise<string[]> => (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    try {
      await logLine(child, INTAKE_OPEN_MESSAGE);
      // Pings come every 100 ms (half of WATCHDOG_USEC); wait for the first after READY.
      await waitFor('a watchdog ping', 10_000, async () => ((await recorded()).includes('WATCHDOG=1') ? true : undefined));
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      child.kill('SIGTERM');
      expect((await exited)[0]).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const lines = await recorded();
    expect(lines[0]).toBe(`--pid=${child.pid} READY=1`);
    expect(lines).toContain('WATCHDOG=1');
    expect(lines.at(-1)).toBe('STOPPING=1');
  });
});
