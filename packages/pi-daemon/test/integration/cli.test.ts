import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { memoryOutput } from '../../src/cli/output.js';
import { runCli } from '../../src/cli/run-cli.js';
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

  it('status reports an unreachable daemon with exit 69', async () => {
    const io = memoryOutput();
    expect(await runCli(['status', '--port', '1', '--timeout', '500'], io)).toBe(69);
    expect(io.stderr.join('')).toMatch(/^mesh-agent status: /);
  });
});
