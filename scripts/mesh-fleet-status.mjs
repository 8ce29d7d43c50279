#!/usr/bin/env node
// The body of scripts/mesh-fleet-status: `mesh-status --oneline` on many hosts over ssh, in
// parallel, each bounded by a timeout, one line per host in the order given.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { clearTimeout, setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';

/** The script's only output: results on stdout, one line each; problems on stderr. */
const printLine = (text) => process.stdout.write(`${text}\n`);
const printError = (text) => process.stderr.write(`${text}\n`);


const EXIT = { OK: 0, DEGRADED: 1, DOWN: 2, USAGE: 64 };
/** ssh's own failures (cannot connect, auth refused) exit 255. */
const SSH_FAILED = 255;

const USAGE = `Usage: mesh-fleet-status [--timeout S] [--parallel N] [--hosts-file FILE] [--json] HOST...

Runs \`mesh-status --oneline\` on each host over ssh (BatchMode, no prompts), at most N at a
time (default 32), each given S seconds (default 15), and prints one line per host.
MESH_SSH replaces the ssh command, e.g. MESH_SSH="ssh -F ~/.ssh/mesh_config" (split on spaces).
Exit status: the worst host's (0 healthy, 1 degraded, 2 down, unreachable or timed out).
`;

function fail(message) {
  printError(`mesh-fleet-status: ${message}`);
  process.exit(EXIT.USAGE);
}

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    options: {
      timeout: { type: 'string', default: '15' },
      parallel: { type: 'string', default: '32' },
      'hosts-file': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
} catch (error) {
  fail(error.message);
}
const { values: flags, positionals } = parsed;
if (flags.help) {
  process.stdout.write(USAGE);
  process.exit(EXIT.OK);
}
const timeoutS = Number(flags.timeout);
if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 3600) fail('--timeout: must be a number of seconds between 0 and 3600');
const parallel = Number(flags.parallel);
if (!Number.isInteger(parallel) || parallel < 1 || parallel > 1024) fail('--parallel: must be a whole number from 1 to 1024');
const hosts = [...positionals];
if (flags['hosts-file'] !== undefined) {
  try {
    hosts.push(...readFileSync(flags['hosts-file'], 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean));
  } catch (error) {
    fail(`--hosts-file: ${error.message}`);
  }
}
if (hosts.length === 0) fail('no hosts; give HOST... or --hosts-file (see --help)');
for (const host of hosts) if (!/^[A-Za-z0-9_.@:[\]-]+$/.test(host) || host.startsWith('-')) fail(`not a host name: ${JSON.stringify(host)}`);

// ConnectTimeout below the per-host timeout, so an unreachable host says so rather than timing out.
const connectTimeout = Math.max(1, Math.min(10, Math.floor(timeoutS / 2)));
const sshCommand = (process.env.MESH_SSH || `ssh -o BatchMode=yes -o ConnectTimeout=${connectTimeout}`).trim().split(/\s+/);

/** Children run in their own process groups (so a timeout can end all they started); on Ctrl-C end them too. */
const running = new Set();
const killGroup = (child) => {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) killGroup(child);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

const firstLine = (text) => text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';

/** Runs mesh-status on one host; resolves { host, code, line }, never rejects. */
function check(host) {
  return new Promise((resolve) => {
    const [cmd, ...args] = sshCommand;
    const child = spawn(cmd, [...args, host, 'mesh-status', '--oneline'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    running.add(child);
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole process group: ssh and anything a substituted runner started.
      killGroup(child);
    }, timeoutS * 1000);
    child.on('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ host, code: EXIT.DOWN, line: `UNREACHABLE cannot run ${cmd}: ${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      if (timedOut) resolve({ host, code: EXIT.DOWN, line: `TIMEOUT no answer within ${timeoutS}s` });
      else if (code === SSH_FAILED) resolve({ host, code: EXIT.DOWN, line: `UNREACHABLE ${firstLine(err) || 'ssh failed'}` });
      else if (code === 127 || (code !== 0 && firstLine(out) === '')) resolve({ host, code: EXIT.DOWN, line: `DOWN mesh-status failed (exit ${code}): ${firstLine(err) || 'no output'}` });
      else resolve({ host, code: code === null ? EXIT.DOWN : Math.min(code, EXIT.DOWN), line: firstLine(out) });
    });
  });
}

async function runAll() {
  const results = new Array(hosts.length);
  let next = 0;
  const worker = async () => {
    while (next < hosts.length) {
      const i = next++;
      results[i] = await check(hosts[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, hosts.length) }, worker));
  return results;
}

const results = await runAll();
if (flags.json) printLine(JSON.stringify(results, null, 2));
else {
  const width = Math.max(...hosts.map((h) => h.length));
  for (const r of results) printLine(`${r.host.padEnd(width)}  ${r.line}`);
}
process.exitCode = Math.max(...results.map((r) => r.code));
