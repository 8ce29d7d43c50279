import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshotIntervalMs } from '../wiring/registry.js';
import { ConfigError, ENV_PREFIX, LEAD_ENV_BINDINGS, loadConfig, parseConfig, unknownLeadEnv } from './index.js';

const ROOT_KEY = 'A'.repeat(42) + 'E';
const MINIMAL = {
  lead_id: 'lead-1',
  cluster_id: 'cluster-1',
  nats: { servers: ['nats://127.0.0.1:4222'] },
  key_path: '/etc/mesh/lead.key',
  trust: { root_public_keys: [ROOT_KEY] },
  data_dir: '/var/lib/mesh-lead',
};

function issuesOf(run: () => unknown): ConfigError['issues'] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('lead config', () => {
  it('with the jetstream store, snapshots the registry at least every store.jetstream.registry_interval_ms', () => {
    expect(snapshotIntervalMs(parseConfig(MINIMAL, { env: {} }).store)).toBe(30_000);
    const jetstream = parseConfig({ ...MINIMAL, store: { backend: 'jetstream' } }, { env: {} }).store;
    expect(jetstream.jetstream.registry_interval_ms).toBe(2_000);
    expect(snapshotIntervalMs(jetstream)).toBe(2_000);
    expect(snapshotIntervalMs(parseConfig({ ...MINIMAL, store: { backend: 'jetstream', snapshot_interval_ms: 500 } }, { env: {} }).store)).toBe(500);
    expect(snapshotIntervalMs(parseConfig({ ...MINIMAL, store: { backend: 'jetstream', jetstream: { registry_interval_ms: 60_000 } } }, { env: {} }).store)).toBe(30_000);
  });

  it('fills defaults for every section and freezes the result', () => {
    const config = parseConfig(MINIMAL, { env: {} });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8470, allow_plain_http: false });
    expect(config.heartbeat).toEqual({ interval_ms: 5_000, missed_for_offline: 3, crash_after_ms: 30_000, auth: 'session', session_lifetime_ms: 3_600_000, handshake_shed_backlog: 128, handshake_retry_after_ms: 10_000 });
    expect(config.registry.quarantine_max_share).toBe(0.1);
    expect(config.registry.panic_below_healthy).toBe(0.5);
    expect(config.ingest.verify_threads).toBe(2);
    expect(config.thresholds.mode).toEqual({ full: 0.95, degraded_light: 0.8, degraded_moderate: 0.6, degraded_severe: 0.3 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.nats.servers)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('refuses a heartbeat.auth it does not know, naming the field', () => {
    expect(() => parseConfig({ ...MINIMAL, heartbeat: { auth: 'hmac' } }, { env: {} })).toThrow(/heartbeat\.auth/);
  });

  it('takes environment overrides derived from the schema, typed by the schema', () => {
    const config = parseConfig(MINIMAL, {
      env: {
        [`${ENV_PREFIX}HTTP__PORT`]: '9100',
        [`${ENV_PREFIX}NATS__SERVERS`]: 'nats://a:4222, nats://b:4222',
        [`${ENV_PREFIX}INGEST__VERIFY_THREADS`]: '0',
        [`${ENV_PREFIX}THRESHOLDS__MODE__FULL`]: '0.9',
        [`${ENV_PREFIX}SECTOR_ID`]: 'sector-7',
        [`${ENV_PREFIX}HEARTBEAT__AUTH`]: 'ed25519',
      },
    });
    expect(config.heartbeat.auth).toBe('ed25519');
    expect(config.http.port).toBe(9100);
    expect(config.nats.servers).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(config.ingest.verify_threads).toBe(0);
    expect(config.thresholds.mode.full).toBe(0.9);
    expect(config.sector_id).toBe('sector-7');
    // Every leaf has a variable, named after its path.
    const variables = LEAD_ENV_BINDINGS.map((binding) => binding.name);
    expect(variables).toContain('MESH_LEAD_GUARD__LAG_THRESHOLD_MS');
    expect(variables).toContain('MESH_LEAD_TRUST__ROOT_PUBLIC_KEYS');
  });

  it('names the field and where its value came from in every problem', () => {
    const issues = issuesOf(() =>
      parseConfig({ ...MINIMAL, lead_id: 'bad id', http: { port: 'eighty' } }, { fileName: '/etc/mesh/lead.json', env: { [`${ENV_PREFIX}REGISTRY__QUARANTINE_MAX_SHARE`]: '3' } }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'lead_id', source: 'file /etc/mesh/lead.json' }),
        expect.objectContaining({ path: 'http.port', source: 'file /etc/mesh/lead.json' }),
        expect.objectContaining({ path: 'registry.quarantine_max_share', source: 'env MESH_LEAD_REGISTRY__QUARANTINE_MAX_SHARE' }),
      ]),
    );
    expect(issues).toHaveLength(3);
  });

  it('bounds the sensor history per sensor: 1,000 by default, configurable, a bad value named by its field', () => {
    expect(parseConfig(MINIMAL, { env: {} }).sensors.history_per_sensor).toBe(1_000);
    expect(parseConfig({ ...MINIMAL, sensors: { history_per_sensor: 50 } }, { env: {} }).sensors.history_per_sensor).toBe(50);
    expect(parseConfig(MINIMAL, { env: { [`${ENV_PREFIX}SENSORS__HISTORY_PER_SENSOR`]: '7' } }).sensors.history_per_sensor).toBe(7);
    expect(parseConfig(MINIMAL, { env: {} }).sensors.stale_after_ms).toBe(600_000);
    expect(issuesOf(() => parseConfig({ ...MINIMAL, sensors: { stale_after_ms: 5 } }, { env: {} })).map((i) => i.path)).toEqual(['sensors.stale_after_ms']);
    for (const bad of [0, -1, 2.5, 'many', 1_000_000]) {
      const issues = issuesOf(() => parseConfig({ ...MINIMAL, sensors: { history_per_sensor: bad } }, { fileName: 'lead.json', env: {} }));
      expect(issues).toEqual([expect.objectContaining({ path: 'sensors.history_per_sensor', source: 'file lead.json' })]);
    }
  });

  it('takes an nkey seed file (also from the environment), not beside a creds file', () => {
    const config = parseConfig(MINIMAL, { env: { [`${ENV_PREFIX}NATS__NKEY_SEED_FILE`]: '/etc/mesh/lead.nk' } });
    expect(config.nats.nkey_seed_file).toBe('/etc/mesh/lead.nk');
    const issues = issuesOf(() => parseConfig({ ...MINIMAL, nats: { ...MINIMAL.nats, nkey_seed_file: '/a.nk', credentials_file: '/b.creds' } }, { fileName: 'lead.json', env: {} }));
    expect(issues).toEqual([{ path: 'nats.nkey_seed_file', source: 'file lead.json', message: 'use either credentials_file or nkey_seed_file, not both' }]);
  });

  it('reports missing required keys, unknown keys and an unreadable file', async () => {
    const issues = issuesOf(() => parseConfig({ ...MINIMAL, trust: undefined, surprise: 1 }, { env: {} }));
    expect(issues.map((issue) => issue.path).sort()).toEqual(['', 'trust']);
    const dir = await mkdtemp(join(tmpdir(), 'mesh30k-config-'));
    await writeFile(join(dir, 'bad.json'), '{ not json');
    await expect(loadConfig({ file: join(dir, 'bad.json'), env: {} })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(loadConfig({ file: join(dir, 'missing.json'), env: {} })).rejects.toMatchObject({ code: 'CONFIG_UNREADABLE' });
    await writeFile(join(dir, 'good.json'), JSON.stringify(MINIMAL));
    expect((await loadConfig({ file: join(dir, 'good.json'), env: {} })).lead_id).toBe('lead-1');
  });
});

describe('unknown MESH_LEAD_ variables', () => {
  it('are listed with the key each was probably meant as; the file path and the console URL are not config keys', () => {
    const env = { MESH_LEAD_HTTP_PORT: '9000', MESH_LEAD_CONFIG: '/etc/lead.json', MESH_LEAD_URL: 'http://lead:8470', MESH_LEAD_HTTP__PORT: '9001', MESH_PORT: '1' };
    expect(unknownLeadEnv(env)).toEqual([{ name: 'MESH_LEAD_HTTP_PORT', suggestion: 'MESH_LEAD_HTTP__PORT' }]);
    // The misspelt variable is ignored by the config itself (hence the warning).
    expect(parseConfig(MINIMAL, { env: { MESH_LEAD_HTTP_PORT: '9000' } }).http.port).toBe(8470);
  });
});
