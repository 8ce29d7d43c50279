import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publicKeyText } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/harness/index.js';
import type { TempDir } from '../../../../test/harness/index.js';
import { AGENT_ENV_BINDINGS, ConfigError, DEFAULT_CONFIG_PATH, EX_CONFIG, loadConfig, resolveConfigPath } from './index.js';

let dir: TempDir;
let leadKey: string;
let counter = 0;

beforeAll(async () => {
  dir = await makeTempDir('mesh30k-config-');
  leadKey = publicKeyText((await nodeEd25519.generateKeyPair()).publicKey);
});
afterAll(() => dir.dispose());

function minimal(): Record<string, unknown> {
  return { agent_id: 'pi-07', cluster_id: 'c1', lead_id: 'lead-1', lead_public_key: leadKey };
}

async function writeConfig(content: unknown): Promise<string> {
  counter += 1;
  const path = join(dir.path, `agent-${counter}.json`);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function failure(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: a valid file', () => {
  it('fills every default and freezes the result deeply', async () => {
    const path = await writeConfig(minimal());
    const { config, envOverrides } = loadConfig({ path, env: {} });
    expect(config.agent_id).toBe('pi-07');
    expect(config.class).toBe('E');
    expect(config.heartbeat_interval_ms).toBe(5000);
    expect(config.heartbeat.auth).toBe('session');
    expect(config.nats.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(config.status).toEqual({ host: '127.0.0.1', port: 7431 });
    expect(config.outbox.max_entries).toBe(10_000);
    expect(config.queue.max_depth).toBe(256);
    expect(envOverrides).toEqual([]);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.nats)).toBe(true);
    expect(Object.isFrozen(config.nats.servers)).toBe(true);
    expect(() => {
      (config.nats.servers as string[]).push('nats://x:1');
    }).toThrow(TypeError);
  });

  it('keeps explicit values, TLS and credentials', async () => {
    const path = await writeConfig({
      ...minimal(),
      class: 'C',
      capabilities: ['gpio.read', 'camera'],
      nats: { servers: ['tls://nats.example:4222'], tls: { ca_file: '/etc/ca.pem', cert_file: '/c.pem', key_file: '/k.pem' }, user: 'a', pass: 'b' },
      status: { port: 9000 },
    });
    const { config } = loadConfig({ path, env: {} });
    expect(config.class).toBe('C');
    expect(config.nats.tls?.ca_file).toBe('/etc/ca.pem');
    expect(config.nats.user).toBe('a');
    expect(config.status).toEqual({ host: '127.0.0.1', port: 9000 });
  });
});

describe('loadConfig: problems name the field and the source', () => {
  it('names a bad server URL by index, in the documented format', async () => {
    const path = await writeConfig({ ...minimal(), nats: { servers: ['http://x:4222'] } });
    const error = failure(() => loadConfig({ path, env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.exitCode).toBe(EX_CONFIG);
    expect(error.message).toBe(`config ${path}: nats.servers.0: must be a nats:// or tls:// URL`);
  });

  it('reports every problem at once, each with its path', async () => {
    const path = await writeConfig({ agent_id: 'bad id', cluster_id: 'c1', class: 'Z', heartbeat_interval_ms: 'fast', lead_public_key: leadKey });
    const error = failure(() => loadConfig({ path, env: {} }));
    const paths = error.issues.map((issue) => issue.path).sort();
    expect(paths).toEqual(['agent_id', 'class', 'heartbeat_interval_ms', 'lead_id']);
    expect(error.issues.every((issue) => issue.source === path)).toBe(true);
    expect(error.issues.find((issue) => issue.path === 'lead_id')?.message).toBe('is required');
    expect(error.issues.find((issue) => issue.path === 'heartbeat_interval_ms')?.message).toBe('must be a number, got "fast"');
  });

  it('refuses unknown keys, at any depth, by name', async () => {
    const path = await writeConfig({ ...minimal(), heartbeat_intervl_ms: 1000, outbox: { max_entrys: 5 } });
    const error = failure(() => loadConfig({ path, env: {} }));
    expect(error.message.split('\n').sort()).toEqual([
      `config ${path}: heartbeat_intervl_ms: unknown key`,
      `config ${path}: outbox.max_entrys: unknown key`,
    ]);
  });

  it('requires a way to trust the lead', async () => {
    const { lead_public_key: _key, ...rest } = minimal();
    const path = await writeConfig(rest);
    const error = failure(() => loadConfig({ path, env: {} }));
    expect(error.issues).toEqual([{ source: path, path: 'lead_public_key', message: expect.stringContaining('trust_roots') }]);
  });

  it('takes the keys of every lead of an HA group as lead_public_keys, and names a bad one by its index', async () => {
    const { lead_public_key: _key, ...rest } = minimal();
    const other = publicKeyText((await nodeEd25519.generateKeyPair()).publicKey);
    const { config } = loadConfig({ path: await writeConfig({ ...rest, lead_public_keys: [leadKey, other] }), env: {} });
    expect(config.lead_public_keys).toEqual([leadKey, other]);
    const bad = await writeConfig({ ...rest, lead_public_keys: [leadKey, 'not-a-key'] });
    expect(failure(() => loadConfig({ path: bad, env: {} })).issues).toEqual([{ source: bad, path: 'lead_public_keys.1', message: expect.any(String) }]);
  });

  it('requires user and pass together', async () => {
    const path = await writeConfig({ ...minimal(), nats: { user: 'alice' } });
    const error = failure(() => loadConfig({ path, env: {} }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['nats.pass']);
  });

  it('takes an nkey seed file, and refuses it beside another way to log in', async () => {
    const good = await writeConfig({ ...minimal(), nats: { nkey_seed_file: '/var/lib/mesh30k/nats.nk', tls: { ca_file: '/etc/mesh30k/ca.pem' } } });
    expect(loadConfig({ path: good, env: {} }).config.nats.nkey_seed_file).toBe('/var/lib/mesh30k/nats.nk');
    const path = await writeConfig({ ...minimal(), nats: { nkey_seed_file: '/n.nk', credentials_file: '/c.creds' } });
    const error = failure(() => loadConfig({ path, env: {} }));
    expect(error.issues).toEqual([{ source: path, path: 'nats.nkey_seed_file', message: 'use one of credentials_file, nkey_seed_file or user/pass' }]);
  });

  it('distinguishes a missing file, bad JSON and a non-object', async () => {
    const missing = join(dir.path, 'nope.json');
    expect(failure(() => loadConfig({ path: missing, env: {} })).code).toBe('CONFIG_NOT_FOUND');
    const broken = await writeConfig('{"agent_id": ');
    const notJson = failure(() => loadConfig({ path: broken, env: {} }));
    expect(notJson.code).toBe('CONFIG_NOT_JSON');
    expect(notJson.message).toMatch(new RegExp(`^config ${broken}: is not valid JSON`));
    const array = await writeConfig([1, 2]);
    expect(failure(() => loadConfig({ path: array, env: {} })).code).toBe('CONFIG_NOT_JSON');
    expect(failure(() => loadConfig({ path: dir.path, env: {} })).code).toBe('CONFIG_UNREADABLE');
  });
});

describe('loadConfig: environment overrides', () => {
  it('overrides file values, converting numbers and comma lists', async () => {
    const path = await writeConfig({ ...minimal(), heartbeat_interval_ms: 2000 });
    const { config, envOverrides } = loadConfig({
      path,
      env: {
        MESH_AGENT_ID: 'pi-99',
        MESH_NATS_SERVERS: 'nats://a:4222, tls://b:4222',
        MESH_HEARTBEAT_INTERVAL_MS: '7000',
        MESH_CAPABILITIES: 'gpio.read,camera',
        MESH_STATUS_PORT: '8001',
        MESH_QUEUE_MAX_DEPTH: '',
        MESH_HEARTBEAT_AUTH: 'ed25519',
      },
    });
    expect(config.heartbeat.auth).toBe('ed25519');
    expect(config.agent_id).toBe('pi-99');
    expect(config.nats.servers).toEqual(['nats://a:4222', 'tls://b:4222']);
    expect(config.heartbeat_interval_ms).toBe(7000);
    expect(config.capabilities).toEqual(['gpio.read', 'camera']);
    expect(config.status.port).toBe(8001);
    expect(config.queue.max_depth).toBe(256);
    expect([...envOverrides].sort()).toEqual(['MESH_AGENT_ID', 'MESH_CAPABILITIES', 'MESH_HEARTBEAT_AUTH', 'MESH_HEARTBEAT_INTERVAL_MS', 'MESH_NATS_SERVERS', 'MESH_STATUS_PORT']);
  });

  it('reports a value that is not a number as a problem of the variable', async () => {
    const path = await writeConfig(minimal());
    const error = failure(() => loadConfig({ path, env: { MESH_HEARTBEAT_INTERVAL_MS: 'soon' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('config env MESH_HEARTBEAT_INTERVAL_MS: heartbeat_interval_ms: must be a number, got "soon"');
  });

  it('words a wrong type the same in the file as in the environment', async () => {
    const path = await writeConfig({ ...minimal(), heartbeat_interval_ms: 'soon', outbox: { max_entries: '  ' } });
    const fromFile = failure(() => loadConfig({ path, env: {} }));
    expect(fromFile.message.split('\n').sort()).toEqual([
      `config ${path}: heartbeat_interval_ms: must be a number, got "soon"`,
      `config ${path}: outbox.max_entries: must be a number, got "  "`,
    ]);
    const good = await writeConfig(minimal());
    const blank = failure(() => loadConfig({ path: good, env: { MESH_OUTBOX_MAX_ENTRIES: '  ', MESH_STATUS_HOST: 'x', MESH_NATS_MAX_PINGS_OUT: 'yes' } }));
    expect(blank.message.split('\n').sort()).toEqual([
      'config env MESH_NATS_MAX_PINGS_OUT: nats.max_pings_out: must be a number, got "yes"',
      'config env MESH_OUTBOX_MAX_ENTRIES: outbox.max_entries: must be a number, got "  "',
    ]);
  });

  it('attributes schema failures to the variable that set the field', async () => {
    const path = await writeConfig(minimal());
    const error = failure(() => loadConfig({ path, env: { MESH_NATS_SERVERS: 'nats://ok:1,ftp://bad', MESH_STATUS_PORT: '70000' } }));
    expect(error.message.split('\n').sort()).toEqual([
      'config env MESH_NATS_SERVERS: nats.servers.1: must be a nats:// or tls:// URL',
      expect.stringMatching(/^config env MESH_STATUS_PORT: status\.port: /),
    ]);
  });

  it('attributes a missing sibling to the variable that created its object', async () => {
    const path = await writeConfig(minimal());
    const error = failure(() => loadConfig({ path, env: { MESH_NATS_TLS_CERT_FILE: '/cert.pem' } }));
    expect(error.issues.map((issue) => `${issue.source} ${issue.path}`)).toEqual(['env MESH_NATS_TLS_CERT_FILE nats.tls.ca_file']);
    const pair = failure(() => loadConfig({ path, env: { MESH_NATS_TLS_CA_FILE: '/ca.pem', MESH_NATS_TLS_CERT_FILE: '/cert.pem' } }));
    expect(pair.message).toBe('config env MESH_NATS_TLS_CA_FILE: nats.tls.key_file: cert_file and key_file must be set together');
  });

  it('lists MESH_ variables that match no key', async () => {
    const path = await writeConfig(minimal());
    const loaded = loadConfig({ path, env: { MESH_HEARTBEAT_INTERVAL: '1', MESH_AGENT_CONFIG: path, HOME: '/root' } });
    expect(loaded.unknownEnv).toEqual([{ name: 'MESH_HEARTBEAT_INTERVAL', suggestion: 'MESH_HEARTBEAT_INTERVAL_MS' }]);
  });

  it('derives one distinct variable per leaf key', () => {
    const names = AGENT_ENV_BINDINGS.map((binding) => binding.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('MESH_NATS_TLS_KEY_FILE');
    expect(names).toContain('MESH_OUTBOX_REPLAY_RATE_PER_S');
    expect(names).not.toContain('MESH_AGENT_CONFIG');
  });
});

describe('resolveConfigPath', () => {
  it('prefers --config, then MESH_AGENT_CONFIG, then the default', () => {
    expect(resolveConfigPath({ path: '/a.json', env: { MESH_AGENT_CONFIG: '/b.json' } })).toBe('/a.json');
    expect(resolveConfigPath({ env: { MESH_AGENT_CONFIG: '/b.json' } })).toBe('/b.json');
    expect(resolveConfigPath({ env: {} })).toBe(DEFAULT_CONFIG_PATH);
  });
});

describe('loadConfig: sensors', () => {
  it('validates devices in the same schema, naming each bad field', async () => {
    const path = await writeConfig({
      ...minimal(),
      sensors: {
        identify_output: 'door',
        devices: [
          { id: 'door', kind: 'gpio.input', line: 17, edge: 'sideways' },
          { id: 'relay', kind: 'gpio.output', line: 17 },
          { id: 'relay', kind: 'onewire.temperature', device: '10-abc' },
          { id: 'lux', kind: 'command', command: 'read-lux' },
        ],
      },
    });
    const paths = failure(() => loadConfig({ path, env: {} })).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['sensors.devices.0.edge', 'sensors.devices.2.device', 'sensors.devices.3.command']));
  });

  it('refuses a duplicate id, a shared line and an identify_output that is no output', async () => {
    const path = await writeConfig({
      ...minimal(),
      sensors: {
        identify_output: 'door',
        devices: [
          { id: 'door', kind: 'gpio.input', line: 17 },
          { id: 'relay', kind: 'gpio.output', line: 17 },
          { id: 'relay', kind: 'gpio.output', line: 27 },
        ],
      },
    });
    const issues = failure(() => loadConfig({ path, env: {} })).issues.map((i) => `${i.path}: ${i.message}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        'sensors.devices.1.line: line 17 is already used by devices.0',
        'sensors.devices.2.id: "relay" is already the id of devices.1',
        'sensors.identify_output: must name a gpio.output device, got "door"',
      ]),
    );
  });

  it('takes overrides from the environment like any key (devices as a JSON array)', async () => {
    const path = await writeConfig(minimal());
    const env = { MESH_SENSORS_SYSFS_ROOT: '/tmp/fake-sys', MESH_SENSORS_GPIO_BACKEND: 'chardev', MESH_SENSORS_DEVICES: '[{"id":"relay","kind":"gpio.output","line":27}]' };
    const { config } = loadConfig({ path, env });
    expect(config.sensors.sysfs_root).toBe('/tmp/fake-sys');
    expect(config.sensors.gpio_backend).toBe('chardev');
    expect(config.sensors.devices).toEqual([{ id: 'relay', kind: 'gpio.output', line: 27, active_low: false, initial: 'off', safe: 'off' }]);
    const bad = failure(() => loadConfig({ path, env: { MESH_SENSORS_DEVICES: '[{' } }));
    expect(bad.issues[0]).toMatchObject({ source: 'env MESH_SENSORS_DEVICES', path: 'sensors.devices' });
  });
});
