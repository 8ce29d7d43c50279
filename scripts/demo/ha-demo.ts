// `npm start -- --ha`: failover on this machine. A three-node NATS cluster with JetStream (the
// test harness's), two `mesh-lead run` processes for one cluster (config `ha`), each with its own
// key pair enrolled by the mesh root as role `lead` for the one lead id (as deploy/ha sets them
// up), and an enrolled test agent heartbeating once a second, which knows both leads' keys. The terminal shows which lead holds
// the lease and who answered each heartbeat; `k` kills the active lead (SIGKILL) and the
// standby takes over, `s` starts a new standby in place of a dead one, `q` or Ctrl-C stops.
// Without a terminal (piped, CI) the active lead is killed once, a few seconds in.
import { setTimeout as delay } from 'node:timers/promises';
import { publicKeyText } from '@mesh30k/shared';
import { makeTempDir, startNatsCluster } from '../../test/harness/index.js';
import { signedReply } from '../../packages/cluster-lead/test/support/test-agents.js';
import { killLead, makeHaGroup, startHaLead, type LeadProc } from '../../packages/cluster-lead/test/ha/support/ha-leads.js';
import { roleOf, rolesLine } from './ha-roles.js';

const TTL_MS = 2_000;
const BEAT_MS = 1_000;
const AUTO_KILL_AFTER_MS = 8_000;
const HA_CONFIG = { enabled: true, lease_key: 'demo', ttl_ms: TTL_MS, replicas: 3 };

export interface HaDemoOptions {
  readonly duration?: number | undefined;
  readonly stop: AbortSignal;
  readonly note: (text: string) => void;
}

export async function runHaDemo(options: HaDemoOptions): Promise<void> {
  const { note } = options;
  note('starting a three-node NATS cluster with JetStream...');
  const cluster = await startNatsCluster();
  const dir = await makeTempDir('mesh30k-ha-demo-');
  const leads = new Map<string, LeadProc>();
  let serial = 0;
  try {
    const group = await makeHaGroup(dir.path, cluster.urls, { ownKeys: true });
    const startLead = async (): Promise<void> => {
      const name = `lead-${String.fromCharCode(97 + (serial++ % 26))}`;
      leads.set(name, await startHaLead(group, name, HA_CONFIG));
      const key = group.leadKeys.at(-1);
      note(`${name} started (pid ${leads.get(name)?.child.pid ?? '?'}, its own key ${key === undefined ? '?' : publicKeyText(key).slice(0, 8)}...)`);
    };
    await startLead();
    await startLead();
    const views = () => [...leads.values()].map((lead) => roleOf(lead.name, lead.lines, lead.child.exitCode === null && lead.child.signalCode === null ? null : { code: lead.child.exitCode, signal: lead.child.signalCode }));
    const killActive = (): void => {
      const active = views().find((view) => view.role === 'active');
      if (active === undefined) return note('no active lead to kill yet');
      note(`kill -9 ${active.name} (epoch ${active.epoch ?? '?'}): watch the standby take the lease`);
      leads.get(active.name)?.child.kill('SIGKILL');
    };
    const stopNow = new AbortController();
    const keys = listenForKeys({ k: killActive, s: () => void startLead(), q: () => stopNow.abort('q') });
    note(keys ? 'keys: k = kill the active lead, s = start another standby, q = quit' : `no terminal: the active lead is killed once, ${AUTO_KILL_AFTER_MS / 1_000} s after it took the lease`);
    const startedAt = Date.now();
    let activeSince: number | undefined;
    let autoKilled = keys;
    let lastLine = '';
    const until = options.duration === undefined ? Infinity : startedAt + options.duration * 1_000;
    while (!options.stop.aborted && !stopNow.signal.aborted && Date.now() < until) {
      const beat = await group.agent.heartbeat().then(
        ({ reply }) => (reply.accepted ? `answered (lease epoch ${signedReply(reply).lease_epoch ?? '-'})` : `refused: ${reply.reason ?? '?'}`),
        () => 'not answered (no lead serving)',
      );
      const line = `${rolesLine(views())}   | heartbeat ${beat}`;
      if (line !== lastLine) note(line);
      lastLine = line;
      activeSince = views().some((view) => view.role === 'active') ? (activeSince ?? Date.now()) : undefined;
      if (!autoKilled && activeSince !== undefined && Date.now() - activeSince > AUTO_KILL_AFTER_MS) {
        autoKilled = true;
        killActive();
      }
      await delay(BEAT_MS);
    }
    await group.agent.close();
  } finally {
    stopKeys();
    note('stopping the leads and the NATS cluster...');
    await Promise.all([...leads.values()].map(killLead));
    await cluster.dispose();
    await dir.dispose();
  }
}

let stopKeys: () => void = () => undefined;

/** Single key presses on a terminal; false when stdin is not one. */
function listenForKeys(actions: Record<string, () => void>): boolean {
  const input = process.stdin;
  if (!input.isTTY) return false;
  input.setRawMode(true);
  input.resume();
  const onData = (data: Buffer): void => {
    const key = data.toString('utf8');
    // Raw mode swallows Ctrl-C: pass it on as the signal it would have been.
    if (key === '\u0003') process.kill(process.pid, 'SIGINT');
    actions[key.toLowerCase()]?.();
  };
  input.on('data', onData);
  stopKeys = () => {
    input.off('data', onData);
    input.setRawMode(false);
    input.pause();
  };
  return true;
}
