// The deploy files (deploy/pi, deploy/systemd) checked against the code they configure. The
// install itself runs in test/deploy/pi-install.test.ts.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { publicKeyText } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/harness/index.js';
import type { TempDir } from '../../../../test/harness/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { ConfigError, EX_CONFIG, loadConfig } from '../../src/config/index.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const INSTALL = join(ROOT, 'deploy/pi/install.sh');
const LAUNCHER = join(ROOT, 'deploy/pi/mesh-agent');
const UNIT = join(ROOT, 'deploy/systemd/mesh-agent.service');
const EXAMPLE = join(ROOT, 'deploy/pi/agent.example.json');

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('mesh30k-deploy-');
});
afterAll(() => dir.dispose());

function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match?.[1] === undefined) continue;
    settings.set(match[1], [...(settings.get(match[1]) ?? []), match[2] ?? '']);
  }
  return settings;
}

describe('mesh-agent.service', () => {
  it('is a notify unit with a watchdog that does not restart on a config error', async () => {
    const unit = unitSettings(await readFile(UNIT, 'utf8'));
    expect(unit.get('Type')).toEqual(['notify']);
    expect(unit.get('NotifyAccess')).toEqual(['all']);
    expect(unit.get('WatchdogSec')).toEqual(['30']);
    expect(unit.get('Restart')).toEqual(['on-failure']);
    expect(unit.get('RestartPreventExitStatus')?.[0]?.split(' ')).toContain(String(EX_CONFIG));
    expect(unit.get('RestartPreventExitStatus')?.[0]?.split(' ')).toContain(String(EXIT.NOPERM));
    expect(unit.get('User')).toEqual(['mesh']);
    expect(unit.get('SupplementaryGroups')).toEqual(['gpio']);
    expect(unit.get('StateDirectory')).toEqual(['mesh30k']);
    expect(unit.get('ConfigurationDirectory')).toEqual(['mesh30k']);
    expect(unit.get('ExecStart')).toEqual(['/usr/local/bin/mesh-agent run']);
    // Settings that would cut the daemon off from GPIO stay off.
    for (const breaking of ['PrivateDevices', 'ProtectClock', 'ProtectKernelTunables', 'DevicePolicy', 'MemoryDenyWriteExecute']) {
      expect(unit.has(breaking), breaking).toBe(false);
    }
  });
  // systemd-analyze verify of every unit: test/deploy/units.test.ts.
});

describe('agent.example.json', () => {
  it('is valid except for the placeholder the operator must replace', async () => {
    const error = (() => {
      try {
        loadConfig({ path: EXAMPLE, env: {} });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['lead_public_key']);
    const key = publicKeyText((await nodeEd25519.generateKeyPair()).publicKey);
    const { config } = loadConfig({ path: EXAMPLE, env: { MESH_LEAD_PUBLIC_KEY: key } });
    expect(config.lead_public_key).toBe(key);
    expect(config.nats.servers).toHaveLength(2);
  });
});

describe('install.sh and the launcher', () => {
  it('are valid POSIX shell', async () => {
    await run('sh', ['-n', INSTALL]);
    await run('sh', ['-n', LAUNCHER]);
  });

  it('refuses an unknown option and explains itself with --help', async () => {
    const failed = await run('sh', [INSTALL, '--bogus']).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('unknown option --bogus');
    const { stdout } = await run('sh', [INSTALL, '--help']);
    expect(stdout).toContain('--dry-run');
  });

  it('the launcher stops with EX_UNAVAILABLE when the installation is incomplete', async () => {
    const failed = await run('sh', [LAUNCHER, 'status'], { env: { ...process.env, MESH_HOME: join(dir.path, 'nowhere') } }).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failed?.code).toBe(69);
    expect(failed?.stderr).toContain('installation under');
  });
  // Installing the package and running its launcher: test/deploy/pi-install.test.ts.
});
