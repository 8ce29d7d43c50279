/**
 * scripts/mesh-status against a real mesh-agent daemon (run from the sources, as on a Pi),
 * then against the same daemon stopped. Run as a child process, exactly as ssh would.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { decodeThrottled } from '@mesh30k/shared';
import { AgentStatus } from '../../packages/pi-daemon/src/status/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionDaemon } from '../../packages/pi-daemon/test/support/daemon-config.js';
import { spawnCli, type DaemonProcess } from '../../packages/pi-daemon/test/support/daemon-process.js';
import { startLeadRig, type LeadRig } from '../../packages/pi-daemon/test/support/lead-rig.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/mesh-status', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function meshStatus(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    // A bare environment, like a non-interactive ssh session: PATH and HOME only.
    execFile(SCRIPT, args, { env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const event = (name: string) => (line: { event?: string }) => line.event === name;

describe('scripts/mesh-status on a Pi', () => {
  let rig: LeadRig;
  let daemon: DaemonProcess;
  let config = '';
  let port = 0;

  beforeAll(async () => {
    rig = await startLeadRig();
    config = await provisionDaemon({ mesh: rig.mesh, dir: `${rig.dir.path}/pi`, agentId: 'pi-status', natsUrl: rig.nats.url });
    daemon = spawnCli(['run', '--config', config]);
    port = (await daemon.waitForLine(event('status.listening'), 'the status endpoint')).port as number;
    await daemon.waitForLine(event('clock.synced'), 'clock sync');
    // Until the agent has had a reply to a heartbeat (its status says so), polled.
    for (let i = 0; ; i++) {
      const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { heartbeat: { last_result: string | null } };
      if (status.heartbeat.last_result === 'ok') break;
      if (i > 200) throw new Error('no heartbeat reply within 10 s');
      await rig.lead.waitUntil(() => rig.lead.heartbeats.length > i, 1_000, 'a heartbeat').catch(() => undefined);
    }
  });

  afterAll(async () => {
    daemon.kill('SIGTERM');
    await daemon.exited;
    await rig.close();
  });

  it('reports a running agent: state, lead, heartbeat, clock, outbox, temperature, throttling; exit 0', async () => {
    const run = await meshStatus(['--config', config, '--port', String(port)]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [head, ...rows] = run.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^OK agent pi-status on /);
    expect(rows.map((r) => r.trim().split(/\s{2,}/)[0])).toEqual(['state', 'lead', 'heartbeat', 'clock offset', 'outbox', 'temperature', 'throttling']);
    expect(run.stdout).toMatch(/lead\s+lead-1 \(cluster cluster-1\)/);
    expect(run.stdout).toMatch(/heartbeat\s+ok \d+s ago \(every 0s\)/);
    expect(run.stdout).toMatch(/clock offset\s+[+-]\d+\.\d ms/);
  });

  it('prints one line with --oneline and a parsable document with --json', async () => {
    const one = await meshStatus(['--oneline', '--port', String(port)]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^OK agent pi-status lead lead-1: heartbeat ok \d+s ago, clock [+-]\d+\.\d ms, outbox 0, .+, throttling .+\n$/);
    const json = await meshStatus(['--json', '--port', String(port)]);
    expect(JSON.parse(json.stdout)).toMatchObject({ role: 'agent', state: 'OK', reasons: [], status: { agent_id: 'pi-status', connected: true } });
  });

  it('exits 1 when the lead has frozen the agent', async () => {
    await rig.lead.freeze();
    await daemon.waitForLine(event('agent.frozen'), 'the freeze');
    const run = await meshStatus(['--oneline', '--port', String(port)]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^DEGRADED \(frozen by the lead\) agent pi-status/);
    await rig.lead.thaw();
  });

  it('says the daemon is not running, and exits 2, once it has stopped', async () => {
    daemon.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    const run = await meshStatus(['--port', String(port)]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(new RegExp(`^DOWN mesh-agent is not running on \\S+ \\(nothing answers on 127\\.0\\.0\\.1:${port}`));
  });

  it('refuses a bad flag with exit 64', async () => {
    const run = await meshStatus(['--port', 'x']);
    expect(run).toMatchObject({ code: 64, stderr: 'mesh-status: --port: must be a port number (1-65535), got x\n' });
  });
});

describe('scripts/mesh-status reading a Pi in trouble', () => {
  it('reports throttling and heat from the status endpoint as degraded (exit 1)', async () => {
    const now = Date.now();
    // A Pi's answer (this machine has no firmware flags to report): checked against the daemon's schema.
    const doc = AgentStatus.parse({
      agent_id: 'pi-hot',
      lead_id: 'lead-1',
      cluster_id: 'cluster-1',
      version: '0.1.0',
      connected: true,
      frozen: false,
      uptime_s: 7_300,
      heartbeat: { last_at: now - 2_000, last_result: 'ok', interval_ms: 5_000 },
      clock: { offset_ms: -1.26, delay_ms: 3.1, confidence: 0.9 },
      outbox: { depth: 4, dropped: 0, oldest_queued_at: now - 9_000 },
      queue: { depth: 0, max_depth: 256 },
      health: { cpu_load_pct: 91, temperature_c: 82.4, memory_used_pct: 40, disk_used_pct: 20, throttle: decodeThrottled(0x50005), uptime_s: 90_000, ntp_synchronized: true },
    });
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(doc));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((server.address() as AddressInfo).port);
      const full = await meshStatus(['--port', port]);
      expect(full.code).toBe(1);
      expect(full.stdout).toMatch(/^DEGRADED \(under-voltage, throttled, 82\.4 °C\) agent pi-hot on /);
      expect(full.stdout).toContain('  clock offset  -1.3 ms (delay 3.1 ms)\n');
      expect(full.stdout).toContain('  outbox        4 waiting, 0 dropped\n');
      expect(full.stdout).toContain('  temperature   82.4 °C\n');
      expect(full.stdout).toContain('  throttling    under-voltage, throttled NOW\n');
      const one = await meshStatus(['--oneline', '--port', port]);
      expect(one.stdout).toMatch(/^DEGRADED \(under-voltage, throttled, 82\.4 °C\) agent pi-hot lead lead-1: heartbeat ok \d+s ago, clock -1\.3 ms, outbox 4, 82\.4 °C, throttling under-voltage, throttled NOW\n$/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
