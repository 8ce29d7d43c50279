#!/usr/bin/env node
// The body of scripts/mesh-status. Node built-ins only, so it runs on a Pi that has nothing
// but Node and the agent installed, and starts fast over ssh.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The script's only output: results on stdout, one line each; problems on stderr. */
const printLine = (text) => process.stdout.write(`${text}\n`);
const printError = (text) => process.stderr.write(`${text}\n`);


const EXIT = { OK: 0, DEGRADED: 1, DOWN: 2, USAGE: 64 };
const DEFAULT_AGENT_CONFIG = '/etc/mesh30k/agent.json';
const DEFAULT_STATUS = { host: '127.0.0.1', port: 7431 };
/** A heartbeat older than this many intervals (and than STALE_FLOOR_MS) means the agent has lost its lead. */
const STALE_BEATS = 3;
/** Short test intervals must not make one slow reply count as lost. */
const STALE_FLOOR_MS = 10_000;
const HOT_C = 80;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `Usage: mesh-status [--oneline] [--json] [--role auto|agent|lead] [--config FILE]
                   [--host HOST] [--port PORT] [--timeout MS]

On a Pi, the local agent: state, lead, last heartbeat, clock offset, outbox, temperature and
throttling (from mesh-agent's status endpoint). On a lead host (--role lead, MESH_LEAD_URL
or MESH_CONTEXT set, ~/.mesh/console.env or a mesh context present), the mesh summary from the lead's API via \`mesh status\`.
Exit status: 0 healthy, 1 degraded, 2 down or not running, 64 usage error.
`;

function parse(argv) {
  try {
    return parseArgs({
      args: argv,
      options: {
        oneline: { type: 'boolean' },
        json: { type: 'boolean' },
        role: { type: 'string', default: 'auto' },
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        timeout: { type: 'string', default: '3000' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    printError(`mesh-status: ${error.message}`);
    process.exit(EXIT.USAGE);
  }
}

function usageError(message) {
  printError(`mesh-status: ${message}`);
  process.exit(EXIT.USAGE);
}

/** KEY=VALUE lines (MESH_* only) from ~/.mesh/console.env, for ssh sessions that set no env. */
function consoleEnv(env) {
  const file = env.MESH_CONSOLE_ENV ?? join(homedir(), '.mesh', 'console.env');
  if (!existsSync(file)) return { found: false, env };
  const merged = { ...env };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*(MESH_[A-Z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && merged[m[1]] === undefined) merged[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return { found: true, env: merged };
}

/** A saved console context (`mesh context add`): the console reads it, so this host is a lead host. */
function hasMeshContext(env) {
  const base = env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, '.config') : undefined);
  return base !== undefined && existsSync(join(base, 'mesh', 'contexts.json'));
}

function agentConfigPath(flags, env) {
  return flags.config ?? env.MESH_AGENT_CONFIG ?? DEFAULT_AGENT_CONFIG;
}

function chooseRole(flags, env) {
  if (flags.role !== 'auto') {
    if (flags.role !== 'agent' && flags.role !== 'lead') usageError('--role: must be auto, agent or lead');
    return flags.role;
  }
  if (flags.config !== undefined || flags.port !== undefined || existsSync(agentConfigPath(flags, env))) return 'agent';
  if (env.MESH_LEAD_URL !== undefined || env.MESH_CONTEXT !== undefined || consoleEnv(env).found || hasMeshContext(env)) return 'lead';
  return 'agent';
}

/** Where the status endpoint listens: the agent's config (if this user may read it), then env, then flags. */
function statusAddress(flags, env) {
  let { host, port } = DEFAULT_STATUS;
  const path = agentConfigPath(flags, env);
  let note;
  try {
    const status = JSON.parse(readFileSync(path, 'utf8')).status ?? {};
    if (typeof status.host === 'string') host = status.host;
    if (Number.isInteger(status.port)) port = status.port;
  } catch (error) {
    // The config is 0640 root:mesh on a Pi, so an ssh user often cannot read it: use defaults.
    if (flags.config !== undefined) usageError(`--config: cannot read ${path}: ${error.message}`);
    if (existsSync(path)) note = `${path} unreadable, using the default address`;
  }
  if (env.MESH_STATUS_HOST) host = env.MESH_STATUS_HOST;
  if (env.MESH_STATUS_PORT) port = Number(env.MESH_STATUS_PORT);
  if (flags.host !== undefined) host = flags.host;
  if (flags.port !== undefined) port = Number(flags.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) usageError(`--port: must be a port number (1-65535), got ${flags.port ?? env.MESH_STATUS_PORT ?? port}`);
  return { host, port, note };
}

function fetchStatus(host, port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/status', timeout: timeoutMs, headers: { accept: 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`the status endpoint answered ${res.statusCode}`));
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error('the status endpoint answered something that is not JSON'));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** `active`, `inactive`, `failed`... from systemd when there is one; undefined otherwise. */
function unitState() {
  const r = spawnSync('systemctl', ['is-active', 'mesh-agent.service'], { encoding: 'utf8', timeout: 2000 });
  return r.status === null || r.error ? undefined : r.stdout.trim() || undefined;
}

const duration = (ms) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s >= 86400) return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${s}s`;
};
const signed = (n) => (n === null || n === undefined ? 'unknown' : `${n >= 0 ? '+' : ''}${n.toFixed(1)} ms`);

function throttling(flags) {
  if (!flags) return { now: [], text: 'unknown' };
  const names = { under_voltage: 'under-voltage', throttled: 'throttled', freq_capped: 'frequency capped', soft_temp_limit: 'soft temperature limit' };
  const now = Object.keys(names).filter((k) => flags[k]).map((k) => names[k]);
  const past = Object.keys(names).filter((k) => flags[`${k}_since_boot`]).map((k) => names[k]);
  if (now.length > 0) return { now, text: `${now.join(', ')} NOW` };
  return { now, text: past.length > 0 ? `none now; since boot: ${past.join(', ')}` : 'none' };
}

/** Healthy, or why not. */
function agentReasons(s, now) {
  const reasons = [];
  if (!s.connected) reasons.push('not connected to NATS');
  if (s.frozen) reasons.push('frozen by the lead');
  const beat = s.heartbeat;
  if (beat.last_at === null) reasons.push('no heartbeat yet');
  else if (now - beat.last_at > Math.max(STALE_BEATS * beat.interval_ms, STALE_FLOOR_MS)) reasons.push(`last heartbeat ${duration(now - beat.last_at)} ago`);
  else if (beat.last_result !== 'ok') reasons.push(`last heartbeat ${beat.last_result}`);
  const t = throttling(s.health?.throttle);
  if (t.now.length > 0) reasons.push(t.now.join(', '));
  const temp = s.health?.temperature_c;
  if (typeof temp === 'number' && temp >= HOT_C) reasons.push(`${temp.toFixed(1)} °C`);
  return reasons;
}

function agentReport(s, reasons, now, oneline) {
  const state = reasons.length === 0 ? 'OK' : `DEGRADED (${reasons.join(', ')})`;
  const beat = s.heartbeat.last_at === null ? 'none yet' : `${s.heartbeat.last_result ?? 'unknown'} ${duration(now - s.heartbeat.last_at)} ago`;
  const temp = typeof s.health?.temperature_c === 'number' ? `${s.health.temperature_c.toFixed(1)} °C` : 'unknown';
  const throttle = throttling(s.health?.throttle).text;
  if (oneline) {
    return `${state} agent ${s.agent_id} lead ${s.lead_id}: heartbeat ${beat}, clock ${signed(s.clock.offset_ms)}, outbox ${s.outbox.depth}, ${temp}, throttling ${throttle}\n`;
  }
  const rows = [
    ['state', `${s.connected ? 'connected' : 'DISCONNECTED'}${s.frozen ? ', FROZEN' : ''}, up ${duration(s.uptime_s * 1000)} (v${s.version})`],
    ['lead', `${s.lead_id} (cluster ${s.cluster_id})`],
    ['heartbeat', `${beat} (every ${duration(s.heartbeat.interval_ms)})`],
    ['clock offset', `${signed(s.clock.offset_ms)} (delay ${s.clock.delay_ms === null ? '?' : `${s.clock.delay_ms.toFixed(1)} ms`})`],
    ['outbox', `${s.outbox.depth} waiting, ${s.outbox.dropped} dropped`],
    ['temperature', temp],
    ['throttling', throttle],
  ];
  return `${state} agent ${s.agent_id} on ${hostname()}\n${rows.map(([k, v]) => `  ${k.padEnd(14)}${v}`).join('\n')}\n`;
}

async function agentStatus(flags, env) {
  const { host, port, note } = statusAddress(flags, env);
  const timeout = Number(flags.timeout);
  if (!Number.isInteger(timeout) || timeout < 1) usageError('--timeout: must be a whole number of milliseconds');
  let status;
  try {
    status = await fetchStatus(host, port, timeout);
  } catch (error) {
    const unit = unitState();
    const why = error.code === 'ECONNREFUSED' ? `nothing answers on ${host}:${port}` : error.message;
    const line = `DOWN mesh-agent is not running on ${hostname()} (${why}${unit ? `; systemd: ${unit}` : ''}${note ? `; ${note}` : ''})`;
    if (flags.json) printLine(JSON.stringify({ role: 'agent', state: 'DOWN', reasons: [line.slice(5)] }));
    else printLine(line);
    return EXIT.DOWN;
  }
  const now = Date.now();
  const reasons = agentReasons(status, now);
  if (flags.json) printLine(JSON.stringify({ role: 'agent', state: reasons.length === 0 ? 'OK' : 'DEGRADED', reasons, status }, null, 2));
  else process.stdout.write(agentReport(status, reasons, now, flags.oneline === true));
  return reasons.length === 0 ? EXIT.OK : EXIT.DEGRADED;
}

/** On a lead host the console does the work (and its auth); its exit status is ours. */
function leadStatus(flags, env) {
  const args = [join(root, 'packages/cluster-lead/bin/mesh.js'), 'status'];
  if (flags.oneline) args.push('--oneline');
  if (flags.json) args.push('--json');
  if (!existsSync(args[0])) {
    printLine(`DOWN the mesh console is not installed here (${args[0]} missing)`);
    return Promise.resolve(EXIT.DOWN);
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env: consoleEnv(env).env });
    child.on('exit', (code) => resolve(code ?? EXIT.DOWN));
    child.on('error', () => resolve(EXIT.DOWN));
  });
}

const flags = parse(process.argv.slice(2));
if (flags.help) {
  process.stdout.write(USAGE);
  process.exit(EXIT.OK);
}
const role = chooseRole(flags, process.env);
process.exitCode = role === 'lead' ? await leadStatus(flags, process.env) : await agentStatus(flags, process.env);
