// Every systemd unit in deploy/ (agent, lead, nats-server, Pi-site leaf node) through
// `systemd-analyze verify`, and the lead's example config against the lead's schema.
// systemd-analyze is required: scripts/setup.mjs installs it (package systemd) where missing.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../packages/cluster-lead/src/config/index.js';
import { makeTempDir, type TempDir } from '../harness/index.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
const UNIT_DIRS = ['deploy/systemd', 'deploy/lead', 'deploy/pi'];

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('mesh30k-units-');
});
afterAll(() => dir.dispose());

async function units(): Promise<string[]> {
  const found: string[] = [];
  for (const sub of UNIT_DIRS) {
    for (const name of await readdir(join(REPO, sub))) if (name.endsWith('.service')) found.push(join(sub, name));
  }
  return found.sort();
}

/**
 * The unit as systemd-analyze can check it here: an Exec line whose program is installed
 * elsewhere (the launcher in /usr/local/bin) points at /bin/true; everything else is as shipped.
 */
function checkable(text: string): string {
  return text.replace(/^(Exec\w+=)(\S+)/gm, (line, key: string, program: string) => (existsSync(program) ? line : `${key}/bin/true`));
}

function settings(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) found.set(match[1], [...(found.get(match[1]) ?? []), match[2] ?? '']);
  }
  return found;
}

describe('systemd units', () => {
  it('there are the four the deploy docs install', async () => {
    expect(await units()).toEqual(['deploy/lead/mesh-lead.service', 'deploy/lead/mesh-nats.service', 'deploy/pi/mesh-nats-leaf.service', 'deploy/systemd/mesh-agent.service']);
  });

  it('each passes systemd-analyze verify', async () => {
    for (const unit of await units()) {
      const copy = join(dir.path, unit.split('/').at(-1)!);
      await writeFile(copy, checkable(await readFile(join(REPO, unit), 'utf8')));
      const result = await run('systemd-analyze', ['verify', copy]);
      expect(result.stderr.trim(), unit).toBe('');
    }
  });

  it('systemd-analyze verify does fail on a broken unit (the check above can fail)', async () => {
    const broken = join(dir.path, 'broken.service');
    await writeFile(broken, '[Service]\nType=notyfy\nExecStart=/bin/true\n');
    const result = await run('systemd-analyze', ['verify', broken]).then(
      (ok) => ok.stderr,
      (error: { stderr: string }) => error.stderr,
    );
    expect(result).toContain('Failed to parse service type');
  });

  it('the lead runs as a notify service with a watchdog, hardened, logging with priorities', async () => {
    const lead = settings(await readFile(join(REPO, 'deploy/lead/mesh-lead.service'), 'utf8'));
    expect(lead.get('Type')).toEqual(['notify']);
    expect(lead.get('NotifyAccess')).toEqual(['all']);
    expect(lead.get('WatchdogSec')).toEqual(['30']);
    expect(lead.get('RestartPreventExitStatus')?.[0]?.split(' ')).toContain('78');
    expect(lead.get('SyslogLevelPrefix')).toEqual(['yes']);
    for (const hardening of ['NoNewPrivileges', 'ProtectSystem', 'PrivateDevices', 'RestrictAddressFamilies', 'SystemCallFilter']) expect(lead.has(hardening), hardening).toBe(true);
    expect(lead.has('MemoryDenyWriteExecute')).toBe(false);
    const nats = settings(await readFile(join(REPO, 'deploy/lead/mesh-nats.service'), 'utf8'));
    expect(nats.get('ExecStart')).toEqual(['/usr/sbin/nats-server -c /etc/mesh30k/nats/nats-server.conf']);
    expect(nats.get('ExecReload')).toContain('/bin/kill -s HUP $MAINPID');
  });
});

describe('deploy/lead/lead.example.json', () => {
  it('is valid except for the root key the operator must put in', async () => {
    const raw = JSON.parse(await readFile(join(REPO, 'deploy/lead/lead.example.json'), 'utf8')) as Record<string, unknown>;
    let error: unknown;
    try {
      parseConfig(raw, { fileName: 'lead.example.json', env: {} });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['trust.root_public_keys.0']);
    const config = parseConfig({ ...raw, trust: { root_public_keys: ['A'.repeat(42) + 'E'] } }, { env: {} });
    expect(config.nats.nkey_seed_file).toBe('/etc/mesh30k/lead-nats.nk');
  });
});
