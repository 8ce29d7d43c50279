import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { memoryOutput } from '../../src/cli/output.js';
import { runCli } from '../../src/cli/run-cli.js';
import { startStatusServer, type AgentStatus } from '../../src/status/index.js';
import { spawnCli } from '../support/daemon-process.js';

let dir: TempDir;

beforeAll(async () => {
  dir = await makeTempDir();
});

afterAll(async () => {
  await dir.dispose();
});

describe('mesh-agent', () => {
  it('run --config with an invalid file exits 78 naming each bad field (as a real process)', async () => {
    const path = join(dir.path, 'bad.json');
    await writeFile(path, JSON.stringify({ agent_id: 'pi-1', cluster_id: 'c-1', lead_id: 'lead-1', heartbeat_interval_ms: 'fast', nats: { servers: ['http://x'] } }));
    const daemon = spawnCli(['run', '--config', path]);
    const { code } = await daemon.exited;
    const stderr = daemon.stderr.join('');
    expect(code).toBe(78);
    expect(stderr).toContain('heartbeat_interval_ms');
    expect(stderr).toContain('nats.servers.0: must be a nats:// or tls:// URL');
    // Operator mistakes are clean lines, not stack traces.
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing config file also exits 78', async () => {
    const daemon = spawnCli(['run', '--config', join(dir.path, 'nope.json')]);
    expect((await daemon.exited).code).toBe(78);
    expect(daemon.stderr.join('')).toContain('no such file');
  });

  it('a bad flag prints one line and the usage, exit 2', async () => {
    for (const argv of [['run', '--bogus'], ['status', '--port', 'eighty'], ['sim', '--count'], ['keygen', '--class', 'Z', '--agent-id', 'a', '--cluster', 'c']]) {
      const io = memoryOutput();
      expect(await runCli(argv, io)).toBe(2);
      const [first, usage] = io.stderr;
      expect(first?.trim().split('\n')).toHaveLength(1);
      expect(first).toMatch(new RegExp(`^mesh-agent ${argv[0]!}: `));
      expect(usage).toContain(`Usage: mesh-agent ${argv[0]!}`);
    }
  });

  it('an unknown command or none gives the overview, exit 2', async () => {
    const io = memoryOutput();
    expect(await runCli(['dance'], io)).toBe(2);
    expect(io.stderr.join('')).toContain('unknown command "dance"');
    expect(await runCli([], io)).toBe(2);
  });

  it('--help on every command prints its usage and exits 0', async () => {
    for (const name of ['run', 'keygen', 'status', 'sim']) {
      const io = memoryOutput();
      expect(await runCli([name, '--help'], io)).toBe(0);
      expect(io.stdout.join('')).toContain(`Usage: mesh-agent ${name}`);
    }
    const io = memoryOutput();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.stdout.join('')).toMatch(/run[\s\S]*keygen[\s\S]*status[\s\S]*sim/);
  });

  it('keygen writes a 0600 key and prints the public key and a signed enrollment request', async () => {
    const io = memoryOutput();
    const key = join(dir.path, 'keys', 'agent.key');
    expect(await runCli(['keygen', '--agent-id', 'pi-9', '--cluster', 'cluster-1', '--capability', 'gpio', '--key', key], io)).toBe(0);
    const printed = JSON.parse(io.stdout.join('')) as { public_key: string; enrollment_request: { signature: string } };
    expect(printed.public_key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(printed.enrollment_request.signature).toBeTruthy();
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    // A second run refuses to overwrite the identity.
    const again = memoryOutput();
    expect(await runCli(['keygen', '--agent-id', 'pi-9', '--cluster', 'cluster-1', '--key', key], again)).toBe(73);
    expect(again.stderr.join('')).toContain('refusing to overwrite');
  });

  it('keygen reads the identity and key path from the agent config; flags win over it', async () => {
    const key = join(dir.path, 'from-config', 'agent.key');
    const config = join(dir.path, 'agent-keygen.json');
    const root = 'pLhBSMzxbKOWHFd9BPFkGQjuJFv4xPvVDktXzQw-Wws';
    await writeFile(config, JSON.stringify({ agent_id: 'pi-conf', cluster_id: 'cluster-7', sector_id: 's-2', lead_id: 'lead-1', trust_roots: [root], capabilities: ['gpio'], key_path: key }));
    const io = memoryOutput();
    expect(await runCli(['keygen', '--config', config, '--class', 'D'], io)).toBe(0);
    const printed = JSON.parse(io.stdout.join('')) as { key_path: string; enrollment_request: { bytes: string } };
    expect(printed.key_path).toBe(key);
    const asked = JSON.parse(Buffer.from(printed.enrollment_request.bytes, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(asked).toMatchObject({ agent_id: 'pi-conf', cluster_id: 'cluster-7', sector_id: 's-2', capabilities: ['gpio'], class: 'D' });
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    // Without a config or --agent-id it says where it looked.
    const missing = memoryOutput();
    expect(await runCli(['keygen', '--config', join(dir.path, 'absent.json')], missing)).toBe(78);
    expect(missing.stderr.join('')).toContain('--agent-id');
  });

  it('status reports an unreachable daemon with exit 69', async () => {
    const io = memoryOutput();
    expect(await runCli(['status', '--port', '1', '--timeout', '500'], io)).toBe(69);
    expect(io.stderr.join('')).toMatch(/^mesh-agent status: /);
  });

  it('status --config reads status.host and status.port from the config file; --host and --port win over it', async () => {
    const status: AgentStatus = {
      agent_id: 'pi-cfg',
      lead_id: 'lead-1',
      cluster_id: 'cluster-1',
      version: '0.1.0',
      connected: true,
      frozen: false,
      uptime_s: 60,
      heartbeat: { last_at: Date.now(), last_result: 'ok', interval_ms: 5_000 },
      clock: { offset_ms: 1.5, delay_ms: 0.4, confidence: 0.9 },
      outbox: { depth: 0, dropped: 0, oldest_queued_at: null, dead_letters: 0, dead_letters_total: 0 },
      queue: { depth: 0, max_depth: 256 },
      health: { cpu_load_pct: null, temperature_c: null, memory_used_pct: null, disk_used_pct: null, throttle: null, uptime_s: null, ntp_synchronized: null },
    };
    const server = await startStatusServer({ host: '127.0.0.1', port: 0, provider: () => status });
    try {
      const base = { agent_id: 'pi-cfg', cluster_id: 'cluster-1', lead_id: 'lead-1', lead_public_key: 'pLhBSMzxbKOWHFd9BPFkGQjuJFv4xPvVDktXzQw-Wws' };
      const config = join(dir.path, 'status.json');
      await writeFile(config, JSON.stringify({ ...base, status: { host: '127.0.0.1', port: server.port } }));

      const io = memoryOutput();
      expect(await runCli(['status', '--json', '--config', config], io)).toBe(0);
      expect(JSON.parse(io.stdout.join(''))).toMatchObject({ agent_id: 'pi-cfg', connected: true });

      // A flag wins over the file.
      const elsewhere = memoryOutput();
      expect(await runCli(['status', '-c', config, '--port', '1', '--timeout', '500'], elsewhere)).toBe(69);
      expect(elsewhere.stderr.join('')).toContain('127.0.0.1:1/');

      // An invalid file is a config error naming the field, as for `run`.
      const bad = join(dir.path, 'status-bad.json');
      await writeFile(bad, JSON.stringify({ ...base, status: { port: 'x' } }));
      const invalid = memoryOutput();
      expect(await runCli(['status', '--config', bad], invalid)).toBe(78);
      expect(invalid.stderr.join('')).toContain('status.port');

      // Port 0 (chosen at start) cannot be read back from the file.
      const ephemeral = join(dir.path, 'status-0.json');
      await writeFile(ephemeral, JSON.stringify({ ...base, status: { port: 0 } }));
      const zero = memoryOutput();
      expect(await runCli(['status', '--config', ephemeral], zero)).toBe(2);
      expect(zero.stderr.join('')).toContain('give --port');
    } finally {
      await server.close();
    }
  });
});
