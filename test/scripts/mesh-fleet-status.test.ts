/**
 * scripts/mesh-fleet-status with MESH_SSH pointing at a local runner instead of ssh: hosts
 * that are healthy, degraded, unreachable (ssh's exit 255), hung past the timeout, and one
 * that runs the real scripts/mesh-status against an agent that is not running.
 */
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../harness/index.js';

const FLEET = fileURLToPath(new URL('../../scripts/mesh-fleet-status', import.meta.url));
const STATUS = fileURLToPath(new URL('../../scripts/mesh-status', import.meta.url));

function fleet(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(FLEET, args, { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr, ms: Date.now() - started });
    });
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('scripts/mesh-fleet-status', () => {
  let dir: TempDir;
  let runner = '';
  let log = '';

  beforeAll(async () => {
    dir = await makeTempDir();
    runner = join(dir.path, 'fake-ssh');
    log = join(dir.path, 'calls.log');
    const port = await closedPort();
    // Called as ssh would be: <options...> HOST mesh-status --oneline.
    await writeFile(
      runner,
      `#!/bin/sh
while [ "$1" = -o ]; do shift 2; done
host=$1; shift
echo "$host $*" >> '${log}'
[ "$1" = mesh-status ] && shift
case "$host" in
  pi-ok) echo "OK agent pi-ok lead lead-1: heartbeat ok 2s ago, clock +0.4 ms, outbox 0, 48.2 °C, throttling none" ;;
  pi-warm) echo "DEGRADED (throttled) agent pi-warm lead lead-1: heartbeat ok 1s ago"; exit 1 ;;
  pi-gone) echo "ssh: connect to host pi-gone port 22: No route to host" >&2; exit 255 ;;
  pi-hung) sleep 30 ;;
  pi-stopped) exec '${STATUS}' --role agent --port ${port} "$@" ;;
esac
`,
    );
    await chmod(runner, 0o755);
  });
  afterAll(async () => dir.dispose());

  it('prints one line per host in the order given and exits with the worst status', async () => {
    const run = await fleet(['--timeout', '2', 'pi-ok', 'pi-warm', 'pi-gone', 'pi-hung', 'pi-stopped'], { MESH_SSH: `${runner} -o BatchMode=yes` });
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('pi-ok       OK agent pi-ok lead lead-1: heartbeat ok 2s ago, clock +0.4 ms, outbox 0, 48.2 °C, throttling none');
    expect(lines[1]).toBe('pi-warm     DEGRADED (throttled) agent pi-warm lead lead-1: heartbeat ok 1s ago');
    expect(lines[2]).toBe('pi-gone     UNREACHABLE ssh: connect to host pi-gone port 22: No route to host');
    expect(lines[3]).toBe('pi-hung     TIMEOUT no answer within 2s');
    expect(lines[4]).toMatch(/^pi-stopped {2}DOWN mesh-agent is not running on \S+ \(nothing answers on 127\.0\.0\.1:\d+/);
    expect(run.code).toBe(2);
    // In parallel: the hung host's timeout bounds the whole run, not the sum of the hosts.
    expect(run.ms).toBeLessThan(15_000);
    expect((await readFile(log, 'utf8')).split('\n')).toContain('pi-ok mesh-status --oneline');
  });

  it('exits 0 when every host is healthy, 1 when the worst is degraded', async () => {
    const env = { MESH_SSH: runner };
    expect((await fleet(['pi-ok', 'pi-ok'], env)).code).toBe(0);
    expect((await fleet(['pi-ok', 'pi-warm'], env)).code).toBe(1);
  });

  it('refuses no hosts, or a host that looks like an option, with exit 64', async () => {
    expect(await fleet([], { MESH_SSH: runner })).toMatchObject({ code: 64, stderr: 'mesh-fleet-status: no hosts; give HOST... or --hosts-file (see --help)\n' });
    expect((await fleet(['--', '-oProxyCommand=x'], { MESH_SSH: runner })).code).toBe(64);
  });
});
