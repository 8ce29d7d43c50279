// Field sensors end to end, as real processes: a private nats-server, a real lead, simulated
// agents with virtual relays, and one real `mesh-agent run` daemon whose GPIO is the character
// device through fake libgpiod tools (gpiomon prints the edges this test appends to a file).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION, SIGNATURE_HEADER, SIGNER_HEADER, encodeMessage, newMessageId, publicKeyText, subjects, type SensorEvent } from '@mesh30k/shared';
import { generateKeyFile, loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import { connect, headers } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueEnrollments } from '../../packages/pi-daemon/src/sim/enrollment.js';
import { writeFakeGpioTools, type FakeGpioTools } from '../../packages/pi-daemon/src/sensors/fake-gpio-tools.test-helper.js';
import { bundleEnv, makeTempDir, startLocalMesh, type LocalMesh, type OperationView, type TempDir } from '../harness/index.js';
import { AGENT_BIN, spawnNode, stopProc, waitFor, type Proc } from '../harness/local-mesh.js';

const SIMS = 3;
const PI = 'pi-e2e';
const MESH_BIN = fileURLToPath(new URL('../../node_modules/.bin/mesh', import.meta.url));
const BUTTON_LINE = 17;

interface Reading {
  sensor_id: string;
  value: unknown;
  seq: number;
  sampled_at: number;
  boot_id?: string;
  error?: string;
}

function run(file: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...bundleEnv(), ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe('field sensors and actuators end to end', () => {
  let mesh: LocalMesh;
  let work: TempDir;
  let tools: FakeGpioTools;
  let configPath: string;
  let daemon: Proc | undefined;
  let env: Record<string, string> = {};
  let keyPath = '';
  const sysfs = () => join(work.path, 'sys');

  const startDaemon = (): void => {
    daemon = spawnNode(work.path, `${PI}-${Date.now()}`, [AGENT_BIN, 'run', '--config', configPath]);
  };
  /** Button readings this daemon process has written to its outbox (debug log lines). */
  const queued = (): number =>
    readFileSync(join(work.path, `${daemon!.name}.log`), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"event":"sensor.reading"') && line.includes('"sensor":"button"')).length;
  /** Presses (active-low: level low) or releases the button, and waits until the daemon queued the reading. */
  const button = async (pressed: boolean): Promise<void> => {
    const before = queued();
    tools.setLevel(BUTTON_LINE, !pressed);
    tools.edge(BUTTON_LINE, !pressed);
    await waitFor(`the ${pressed ? 'press' : 'release'} queued`, 10_000, () => (queued() > before ? true : undefined));
  };
  const history = async (sensor: string): Promise<Reading[]> =>
    (await mesh.api.getOk<{ readings: Reading[] }>(`/v1/agents/${PI}/sensors/${sensor}/history?page_size=100`))?.readings ?? [];
  const latest = async (agent: string): Promise<Reading[]> => (await mesh.api.getOk<{ sensors: Reading[] }>(`/v1/agents/${agent}/sensors`))?.sensors ?? [];

  beforeAll(async () => {
    mesh = await startLocalMesh({ agents: SIMS, seed: 13, heartbeatMs: 300, virtualSensors: { interval_ms: 60_000 } });
    work = await makeTempDir('mesh30k-sensors-e2e-');
    mkdirSync(join(work.path, 'tools'));
    tools = writeFakeGpioTools(join(work.path, 'tools'));
    tools.setLevel(BUTTON_LINE, true); // pulled up: not pressed
    // A Pi without sysfs GPIO (so the character device is chosen), with an ACT LED.
    mkdirSync(join(sysfs(), 'class', 'leds', 'ACT'), { recursive: true });
    writeFileSync(join(sysfs(), 'class', 'leds', 'ACT', 'trigger'), 'none [mmc0] heartbeat\n');
    writeFileSync(join(sysfs(), 'class', 'leds', 'ACT', 'brightness'), '0');

    // Provisioned as an operator would: a key, an enrollment signed by the mesh root, a config.
    keyPath = join(work.path, 'agent.key');
    const keys = await generateKeyFile(keyPath);
    const root = await loadKeyPair(join(mesh.dir, 'root.key'));
    const lead = await loadKeyPair(join(mesh.dir, 'lead.key'));
    const file = await issueEnrollments(
      { signer: nodeEd25519.signerSync(root.privateKey), publicKey: root.publicKey },
      [{ agentId: PI, publicKey: keys.publicKey, agentClass: 'E', capabilities: ['act:relay'], clusterId: 'local-cluster' }],
      { issuedAt: Date.now() },
    );
    const enrolled = await mesh.api.post('/v1/enrollments', file.enrollments[0]!.enrollment);
    expect(enrolled.status).toBe(201);
    configPath = join(work.path, 'agent.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        agent_id: PI,
        cluster_id: 'local-cluster',
        lead_id: 'lead-local',
        lead_public_key: publicKeyText(lead.publicKey),
        capabilities: ['act:relay'],
        nats: { servers: [mesh.natsUrl], ping_interval_ms: 1_000 },
        key_path: keyPath,
        data_dir: join(work.path, 'data'),
        heartbeat_interval_ms: 300,
        status: { port: 0 },
        health: { interval_ms: 60_000 },
        log_level: 'debug',
        sensors: {
          sysfs_root: sysfs(),
          gpio_tools_dir: tools.dir,
          devices: [
            { id: 'button', kind: 'gpio.input', line: BUTTON_LINE, active_low: true, pull: 'up', debounce_ms: 5, edge: 'both' },
            { id: 'relay', kind: 'gpio.output', line: 27 },
            // No such DS18B20 under the fake sysfs: its readings fail.
            { id: 'probe', kind: 'onewire.temperature', device: '28-00000000beef', interval_ms: 60_000 },
          ],
        },
      }),
    );
    startDaemon();
    await waitFor(`${PI} active`, 20_000, async () => ((await mesh.api.getOk<{ state: string }>(`/v1/agents/${PI}`))?.state === 'active' ? true : undefined));
    const keyFile = join(work.path, 'operator.key');
    await copyFile(mesh.operator.keyFile, keyFile);
    await chmod(keyFile, 0o600);
    env = { MESH_LEAD_URL: mesh.leadUrl, MESH_OPERATOR_KEY: keyFile, MESH_OPERATOR_ID: mesh.operator.id };
  }, 90_000);

  afterAll(async () => {
    if (daemon !== undefined) await stopProc(daemon);
    await mesh?.stop();
    await work?.dispose();
  });

  it('a button press becomes a stored reading, visible through the API, the console and /metrics', async () => {
    await button(true);
    await waitFor('the press at the lead', 10_000, async () => ((await latest(PI)).find((r) => r.sensor_id === 'button')?.value === true ? true : undefined));
    expect((await history('button')).map((r) => [r.seq, r.value])).toEqual([
      [1, true],
      [0, false],
    ]);
    const table = await run(MESH_BIN, ['sensors', PI], env);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/button\s+gpio\.input\s+active/);
    expect(table.stdout).toMatch(/relay\s+gpio\.output\s+off/);
    const all = JSON.parse((await run(MESH_BIN, ['sensors', '--json'], env)).stdout) as { sensors: { agent_id: string }[] };
    expect(new Set(all.sensors.map((s) => s.agent_id))).toEqual(new Set([PI, ...mesh.agentIds]));
     const metrics = (await mesh.api.get<string>('/metrics')).body;
    expect(metrics).toContain(`mesh_lead_sensor_value{agent_id="${PI}",sensor_id="button",unit=""} 1`);
  });

  it('the heartbeat\'s sensor summary is judged at the lead: a failed probe is failing, the button ok, nothing behind', async () => {
    interface Health {
      ok: number;
      failing: number;
      stale: number;
      sensors: { sensor_id: string; status: string; kind: string | null; behind: number; age_ms: number }[];
    }
    const health = await waitFor('the heartbeat summary of all three sensors', 15_000, async () => {
      const body = await mesh.api.getOk<{ heartbeat: Health | null }>(`/v1/agents/${PI}/sensors`);
      const h = body?.heartbeat;
      return h !== null && h !== undefined && h.sensors.length === 3 && h.sensors.every((s) => s.behind === 0 && s.kind !== null) ? h : undefined;
    });
    const byId = Object.fromEntries(health.sensors.map((s) => [s.sensor_id, s]));
    expect(byId.probe).toMatchObject({ status: 'failing', kind: 'onewire.temperature' });
    expect(byId.button).toMatchObject({ status: 'ok', kind: 'gpio.input' });
    expect(byId.relay).toMatchObject({ status: 'ok', kind: 'gpio.output' });
    expect(health).toMatchObject({ ok: 2, failing: 1, stale: 0 });
    expect(byId.button!.age_ms).toBeGreaterThanOrEqual(0);
    // Every sim has virtual sensors (a relay, a temperature), all reading fine.
    const sim = await mesh.api.getOk<{ heartbeat: Health | null }>(`/v1/agents/${mesh.agentIds[0]}/sensors`);
    expect(sim?.heartbeat?.failing).toBe(0);
  });

  it('readings taken during a broker outage, across a daemon restart, arrive afterwards in order', async () => {
    const before = (await history('button')).length;
    await mesh.nats!.stop();
    for (let n = 0; n < 3; n++) {
      await button(false);
      await button(true);
    }
    // Six readings wait in the outbox on disk; the daemon restarts before NATS is back.
    await stopProc(daemon!);
    startDaemon();
    await mesh.nats!.restart();
    await waitFor('the outage\'s readings at the lead', 20_000, async () => ((await history('button')).length >= before + 6 ? true : undefined));
    const readings = (await history('button')).reverse();
    expect(readings.map((r) => r.seq)).toEqual(readings.map((_, i) => i));
    expect(readings.slice(before, before + 6).map((r) => r.value)).toEqual([false, true, false, true, false, true]);
    // sampled_at follows the presses, so the order is the order they happened in.
    const times = readings.slice(before, before + 6).map((r) => r.sampled_at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('act in hold mode sets the relay of every agent at T; the outputs report when they switched', async () => {
    await waitFor(`${PI} active again`, 20_000, async () => ((await mesh.api.getOk<{ state: string }>(`/v1/agents/${PI}`))?.state === 'active' ? true : undefined));
    const view: OperationView = await mesh.operation({ verb: 'act', payload: { action: 'set', output: 'relay', value: true }, selector: { capability: 'act:relay' }, release_mode: 'hold', min_response_rate: 1, timeout_ms: 5_000 });
    expect(view.result?.counts).toMatchObject({ selected: SIMS + 1, ready: SIMS + 1 });
    const target = view.result!.timings.target_time;
    const agents = [PI, ...mesh.agentIds];
    const switched = await waitFor('every relay on at the lead', 10_000, async () => {
      const relays = await Promise.all(agents.map(async (id) => (await latest(id)).find((r) => r.sensor_id === 'relay')));
      return relays.every((r) => r?.value === true) ? relays.map((r) => r!.sampled_at) : undefined;
    });
    // Held until T: nothing switched early (the sims' clocks are skewed by up to 2 s and corrected).
    for (const at of switched) expect(at).toBeGreaterThanOrEqual(target - view.result!.arrival.window_ms);
    expect(tools.setLog()).toContain('27=1');
    const spread = Math.max(...switched) - Math.min(...switched);
    process.stdout.write(`act-at-T: ${agents.length} agents, switched at T${switched.map((at) => `${at - target >= 0 ? '+' : ''}${(at - target).toFixed(1)}`).join(' ')} ms, spread ${spread.toFixed(1)} ms; the lead's arrival |ready - T| p50 ${view.result!.arrival.abs?.p50.toFixed(1)} max ${view.result!.arrival.abs?.max.toFixed(1)} ms\n`);
  });

  it('act on a missing output is not READY, and identify blinks the ACT LED and gives it back', async () => {
    // The lead knows PI holds no act:pump and does not send it the switch at all.
    const view = await mesh.operation({ verb: 'act', payload: { action: 'set', output: 'pump', value: true }, selector: { agent_ids: [PI] }, release_mode: 'none', timeout_ms: 5_000 });
    expect(view.result?.counts).toMatchObject({ ready: 0, sent: 0 });
    expect(view.result?.skipped).toEqual([expect.objectContaining({ agent_id: PI, reason: 'capability_mismatch' })]);
    const identify = await run(MESH_BIN, ['identify', PI, '--seconds', '1'], env);
    expect(identify.stdout).toBe(`${PI} is blinking\n`);
    expect(identify.code).toBe(0);
    const trigger = join(sysfs(), 'class', 'leds', 'ACT', 'trigger');
    await waitFor('the trigger restored', 10_000, () => (readFileSync(trigger, 'utf8') === 'mmc0' ? true : undefined));
  });

  it('a wiped agent database (fresh boot, same id) is heard; a redelivery of a stored reading is still a duplicate', async () => {
    const stored = (await latest(PI)).find((r) => r.sensor_id === 'button')!;
    expect(stored.boot_id).toMatch(/.+/);
    const count = (await history('button')).length;
    // A redelivery as the outbox makes it: the stored reading's boot and seq, a fresh message id.
    const keys = await loadKeyPair(keyPath);
    const nc = await connect({ servers: mesh.natsUrl });
    try {
      const now = Date.now();
      const event: SensorEvent = {
        v: PROTOCOL_VERSION,
        message_id: newMessageId(now),
        sender_id: PI,
        created_at: now,
        ttl_ms: 30_000,
        kind: 'SENSOR_EVENT',
        agent_id: PI,
        sensor_id: 'button',
        sensor_kind: 'gpio.input',
        value: !(stored.value as boolean),
        sampled_at: stored.sampled_at,
        seq: stored.seq,
        boot_id: stored.boot_id!,
        late: true,
      };
      const frame = await encodeMessage(event, nodeEd25519.signerSync(keys.privateKey), PI);
      const h = headers();
      h.set(SIGNATURE_HEADER, frame.signature);
      h.set(SIGNER_HEADER, frame.signerId);
      const reply = await nc.request(subjects.sensor('lead-local'), frame.body, { headers: h, timeout: 5_000 });
      expect(JSON.parse(new TextDecoder().decode(reply.data))).toMatchObject({ kind: 'REPLY', ok: true, in_reply_to: event.message_id });
    } finally {
      await nc.close();
    }
    expect((await history('button')).length).toBe(count);
    expect((await latest(PI)).find((r) => r.sensor_id === 'button')).toMatchObject({ seq: stored.seq, value: stored.value });

    // The agent's state is wiped (a new SD card, the same key and id): its seq starts from 0 again.
    await stopProc(daemon!);
    rmSync(join(work.path, 'data'), { recursive: true, force: true });
    startDaemon();
    await waitFor(`${PI} back after the wipe`, 30_000, async () => ((await latest(PI)).find((r) => r.sensor_id === 'button')?.boot_id !== stored.boot_id ? true : undefined));
    await button(!(stored.value as boolean));
    const now = await waitFor('the new boot\'s press at the lead', 15_000, async () => {
      const reading = (await latest(PI)).find((r) => r.sensor_id === 'button');
      return reading !== undefined && reading.boot_id !== stored.boot_id && reading.seq >= 1 ? reading : undefined;
    });
    expect(now.value).toBe(!(stored.value as boolean));
    const fresh = (await history('button')).filter((r) => r.boot_id === now.boot_id);
    expect(fresh.map((r) => r.seq)).toEqual([1, 0]);
    expect(stored.seq).toBeGreaterThanOrEqual(1); // the old boot's seq 0 and 1 were taken already
  });
});
