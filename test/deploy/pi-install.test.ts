// The Pi package (npm run build:pi) and its install.sh, run for real against a temporary root
// directory: install, upgrade, rollback, uninstall, purge, and the refusals an operator meets.
import { execFile } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../harness/index.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(await readFile(join(REPO, 'packages/pi-daemon/package.json'), 'utf8')) as { version: string }).version;

let dir: TempDir;
/** The unpacked package (its install.sh) and its tarball. */
let pkg: string;
let tarball: string;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function sh(args: readonly string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run('/bin/sh', [...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A copy of the package under another version number, packed like the real one. */
async function packageVersion(version: string): Promise<string> {
  const name = `mesh-agent-${version}`;
  const staging = join(dir.path, 'versions');
  await mkdir(staging, { recursive: true });
  await cp(pkg, join(staging, name), { recursive: true });
  await writeFile(join(staging, name, 'VERSION'), `${version}\n`);
  const file = join(staging, `${name}.tar.gz`);
  await run('tar', ['-czf', file, '-C', staging, name]);
  return file;
}

const link = (path: string): string => readlinkSync(path);

/** The machine a 64-bit little-endian ELF shared object was built for, read from its header. */
async function elfMachine(path: string): Promise<string> {
  const header = (await readFile(path)).subarray(0, 20);
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect([header[4], header[5], header.readUInt16LE(16)]).toEqual([2, 1, 3]); // 64-bit, little-endian, shared object
  const machines: Record<number, string> = { 62: 'x86-64', 183: 'aarch64' };
  return machines[header.readUInt16LE(18)] ?? `machine ${header.readUInt16LE(18)}`;
}

beforeAll(async () => {
  dir = await makeTempDir('mesh30k-pi-install-');
  const out = join(dir.path, 'out');
  const { stdout } = await run(process.execPath, [join(REPO, 'scripts/build-pi.mjs'), '--out', out]);
  expect(stdout).toContain('KiB packed');
  pkg = join(out, `mesh-agent-${VERSION}`);
  tarball = join(out, `mesh-agent-${VERSION}.tar.gz`);
}, 120_000);
afterAll(() => dir.dispose());

describe('the package', () => {
  it('holds the bundle and better-sqlite3, and nothing from development', async () => {
    const manifest = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toEqual({ 'better-sqlite3': expect.any(String) as string, onoff: expect.any(String) as string });
    expect(manifest.devDependencies).toBeUndefined();
    expect((await readdir(join(pkg, 'node_modules'))).sort()).toEqual(['better-sqlite3', 'bindings', 'epoll', 'file-uri-to-path', 'lodash.debounce', 'nan', 'onoff']);
    const bundle = await readFile(join(pkg, 'dist/mesh-agent.mjs'), 'utf8');
    expect(bundle).not.toMatch(/from ["']tsx|wrangler|workerd/);
    expect(existsSync(join(pkg, 'node_modules/better-sqlite3/deps/sqlite3/sqlite3.c'))).toBe(true);
  });

  it('carries prebuilt addons for a 64-bit Pi (aarch64) and for this machine', async () => {
    const abi = process.versions.modules;
    const here = process.arch === 'x64' ? 'x86-64' : process.arch;
    for (const file of ['better_sqlite3.node', 'epoll.node']) {
      expect(await elfMachine(join(pkg, `prebuilt/linux-arm64-node${abi}`, file))).toBe('aarch64');
      expect(await elfMachine(join(pkg, `prebuilt/linux-${process.arch}-node${abi}`, file))).toBe(here);
    }
  });
});

describe('install.sh against a temporary root', () => {
  it('installs, upgrades, rolls back, uninstalls and purges', async () => {
    const root = join(dir.path, 'root');
    const opt = join(root, 'opt/mesh-agent');

    const first = await sh([join(pkg, 'install.sh'), '--root', root]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(link(join(opt, 'current'))).toBe(VERSION);
    expect(link(join(root, 'usr/local/bin/mesh-agent'))).toBe('/opt/mesh-agent/current/bin/mesh-agent');
    expect(existsSync(join(root, 'etc/systemd/system/mesh-agent.service'))).toBe(true);
    expect(existsSync(join(root, 'etc/mesh30k/agent.json'))).toBe(true);
    // The installed launcher runs the bundle with the installed native module.
    const help = await sh([join(opt, 'current/bin/mesh-agent'), '--help']);
    expect(help.stdout).toContain('Usage: mesh-agent <command>');
    const sqlite = await run(process.execPath, ['-e', "const D=require('better-sqlite3'); console.log(new D(':memory:').prepare('select 41+1 as x').get().x)"], {
      cwd: join(opt, 'current'),
    });
    expect(sqlite.stdout.trim()).toBe('42');
    // onoff (sysfs GPIO edges) loads with its epoll addon.
    const gpio = await run(process.execPath, ['-e', "console.log(typeof require('onoff').Gpio, typeof require('epoll').Epoll)"], { cwd: join(opt, 'current') });
    expect(gpio.stdout.trim()).toBe('function function');

    // The operator's config and the agent's data survive everything but --purge.
    await writeFile(join(root, 'etc/mesh30k/agent.json'), '{"edited":true}');
    await writeFile(join(root, 'var/lib/mesh30k/agent.key'), 'secret');

    const second = await sh([join(pkg, 'install.sh'), await packageVersion('9.0.0'), '--root', root]);
    expect(second.code).toBe(0);
    expect(link(join(opt, 'current'))).toBe('9.0.0');
    expect(link(join(opt, 'previous'))).toBe(VERSION);
    expect(await readFile(join(root, 'etc/mesh30k/agent.json'), 'utf8')).toBe('{"edited":true}');

    const third = await sh([join(pkg, 'install.sh'), await packageVersion('9.1.0'), '--root', root]);
    expect(third.code).toBe(0);
    // One older version is kept: the one just replaced.
    expect((await readdir(opt)).sort()).toEqual(['9.0.0', '9.1.0', 'current', 'previous']);

    const back = await sh([join(pkg, 'install.sh'), '--rollback', '--root', root]);
    expect(back.stdout).toContain('rolled back from 9.1.0 to 9.0.0');
    expect(link(join(opt, 'current'))).toBe('9.0.0');
    expect(link(join(opt, 'previous'))).toBe('9.1.0');

    const uninstall = await sh([join(pkg, 'install.sh'), '--uninstall', '--root', root]);
    expect(uninstall.code).toBe(0);
    expect(existsSync(opt)).toBe(false);
    expect(existsSync(join(root, 'usr/local/bin/mesh-agent'))).toBe(false);
    expect(existsSync(join(root, 'etc/systemd/system/mesh-agent.service'))).toBe(false);
    expect(await readFile(join(root, 'var/lib/mesh30k/agent.key'), 'utf8')).toBe('secret');
    expect(existsSync(join(root, 'etc/mesh30k/agent.json'))).toBe(true);

    const purge = await sh([join(pkg, 'install.sh'), '--uninstall', '--purge', '--root', root]);
    expect(purge.code).toBe(0);
    expect(existsSync(join(root, 'var/lib/mesh30k'))).toBe(false);
    expect(existsSync(join(root, 'etc/mesh30k'))).toBe(false);
  }, 60_000);

  it('installs from the tarball given as an argument', async () => {
    const root = join(dir.path, 'from-tarball');
    const result = await sh([join(pkg, 'install.sh'), tarball, '--root', root]);
    expect(result.code).toBe(0);
    expect(link(join(root, 'opt/mesh-agent/current'))).toBe(VERSION);
  });

  it('--dry-run prints the commands and changes nothing', async () => {
    const root = join(dir.path, 'dry');
    const result = await sh([join(pkg, 'install.sh'), '--dry-run', '--root', root]);
    expect(result.code).toBe(0);
    const commands = result.stdout.split('\n').filter((line) => line.startsWith('+ '));
    expect(commands).toContain(`+ mv -T ${root}/opt/mesh-agent/current.tmp ${root}/opt/mesh-agent/current`);
    expect(commands).toContain(`+ install -m 0644 ${pkg}/deploy/mesh-agent.service ${root}/etc/systemd/system/mesh-agent.service`);
    expect(existsSync(root)).toBe(false);
    // Without --root the dry run shows the system steps too.
    const system = await sh([join(pkg, 'install.sh'), '--dry-run']);
    expect(system.stdout).toContain('+ systemctl enable mesh-agent.service');
    expect(system.stdout).toContain('+ systemctl try-restart --no-block mesh-agent.service');
  });

  it('--rollback with nothing to roll back to, and --purge alone, are refused', async () => {
    const nothing = await sh([join(pkg, 'install.sh'), '--rollback', '--root', join(dir.path, 'empty')]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('no previous version to roll back to');
    const purge = await sh([join(pkg, 'install.sh'), '--purge', '--root', join(dir.path, 'empty')]);
    expect(purge.stderr).toContain('--purge goes with --uninstall');
  });
});

describe('install.sh refuses what cannot work, with a clear reason', () => {
  /** A PATH whose `node` or `uname` answers what a given machine would. */
  async function fakeTools(name: string, tools: Record<string, string>): Promise<string> {
    const bin = join(dir.path, `fake-${name}`);
    await mkdir(bin, { recursive: true });
    for (const [tool, body] of Object.entries(tools)) {
      await writeFile(join(bin, tool), `#!/bin/sh\n${body}\n`);
      await chmod(join(bin, tool), 0o755);
    }
    return `${bin}:${process.env.PATH ?? ''}`;
  }

  it('an old Node', async () => {
    const PATH = await fakeTools('old-node', { node: 'echo 18.19.0' });
    const result = await sh([join(pkg, 'install.sh'), '--dry-run'], { PATH });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Node.js 18.19.0 is too old; 20.19 or newer is required');
  });

  it('no Node at all', async () => {
    // A PATH with the few tools the script needs before it looks for node, and no node.
    const bin = join(dir.path, 'no-node');
    await mkdir(bin, { recursive: true });
    for (const tool of ['dirname', 'cat', 'id']) await symlink(`/usr/bin/${tool}`, join(bin, tool));
    const result = await sh([join(pkg, 'install.sh'), '--dry-run'], { PATH: bin });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('node is not on PATH');
  });

  it('an ARMv6 Pi and an unknown architecture', async () => {
    const armv6 = await sh([join(pkg, 'install.sh'), '--dry-run'], { PATH: await fakeTools('armv6', { uname: 'echo armv6l' }) });
    expect(armv6.stderr).toContain('ARMv6 board (Pi Zero / Pi 1)');
    const mips = await sh([join(pkg, 'install.sh'), '--dry-run'], { PATH: await fakeTools('mips', { uname: 'echo mips' }) });
    expect(mips.stderr).toContain('unsupported architecture mips');
  });

  it('a directory that is not a package (the install.sh of a checkout)', async () => {
    const result = await sh([join(REPO, 'deploy/pi/install.sh'), '--dry-run']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not a mesh-agent package');
    expect(result.stderr).toContain('npm run build:pi');
  });
});
