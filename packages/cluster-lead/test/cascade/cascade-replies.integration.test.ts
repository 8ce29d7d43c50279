// Cascade replies are signed: a child lead confirms its parent's cascade COORDINATE, and the
// parent confirms a child's report, with a REPLY signed by the lead answering, bound to the
// request and the requester. Over a real nats-server: a root, a real child lead, and an
// impostor child that answers the COORDINATE with what a forger on the reply subject could
// send (the old unsigned JSON, or a REPLY signed with another key).
import { PROTOCOL_VERSION, SIGNER_HEADER, encodeMessage, newMessageId, subjects } from '@mesh30k/shared';
import type { Summary } from '@mesh30k/shared';
import { connect } from 'nats';
import type { Msg, NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats } from '../../../../test/harness/index.js';
import type { NatsServer } from '../../../../test/harness/index.js';
import { frameHeaders } from '../../src/cascade/wire.js';
import { performanceClock } from '../../src/scatter/real-scheduler.js';
import { leadKeys, startLeadStand } from './support/lead-stand.js';
import type { LeadKeys, LeadStand } from './support/lead-stand.js';

const ROOT = 'root';
const CHILD = 'child-a';
const IMPOSTOR = 'child-x';
const SUMMARIES = 3;
const SETUP_TIMEOUT_MS = 60_000;
const CASCADE_OPTIONS = { slackMs: 400, reportGraceMs: 5_000 };

describe('cascade confirm and report replies are signed REPLYs', () => {
  let nats: NatsServer;
  let root: LeadStand;
  let child: LeadStand;
  let impostorKeys: LeadKeys;
  let forgerKeys: LeadKeys;
  let impostor: NatsConnection;
  let spy: NatsConnection;
  /** How the impostor child answers a cascade COORDINATE. */
  let impostorAnswer: (msg: Msg) => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    nats = await startNats();
    const rootKeys = await leadKeys();
    const childKeys = await leadKeys();
    impostorKeys = await leadKeys();
    forgerKeys = await leadKeys();
    root = await startLeadStand({
      nats,
      leadId: ROOT,
      clusterId: 'cluster-root',
      keys: rootKeys,
      childKeys: new Map([
        [CHILD, childKeys.publicKey],
        [IMPOSTOR, impostorKeys.publicKey],
      ]),
      agents: 2,
      agentLinkDelaysMs: [5],
      seed: 11,
      cascadeOptions: CASCADE_OPTIONS,
    });
    child = await startLeadStand({
      nats,
      leadId: CHILD,
      clusterId: 'cluster-a',
      keys: childKeys,
      parent: { leadId: ROOT, publicKey: rootKeys.publicKey },
      childKeys: new Map(),
      agents: 3,
      agentLinkDelaysMs: [5],
      seed: 12,
      cascadeOptions: CASCADE_OPTIONS,
    });
    await Promise.all([...root.fleet.agents, ...child.fleet.agents].map((a) => a.syncClock(4)));
    for (let i = 0; i < SUMMARIES; i += 1) await child.service.sendSummary();
    impostor = await connect({ servers: nats.url, name: IMPOSTOR });
    spy = await connect({ servers: nats.url, name: 'spy' });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await impostor?.close();
    await spy?.close();
    await child?.close();
    await root?.close();
    await nats?.dispose();
  });

  it('a real child confirms the COORDINATE and the root confirms the report, both signed', async () => {
    // Every answer to a request (the child's confirmation, the root's report confirmation,
    // agents' ACK confirmations) travels to a _INBOX subject: none may be unsigned.
    const replies: { signer: string | undefined; kind: string }[] = [];
    const sub = spy.subscribe('_INBOX.>', {
      callback: (_e, msg) => {
        let kind = 'unparsed';
        try {
          const parsed = (JSON.parse(new TextDecoder().decode(msg.data)) as { kind?: unknown }).kind;
          kind = typeof parsed === 'string' ? parsed : 'no kind';
        } catch {
          // left as 'unparsed'
        }
        replies.push({ signer: msg.headers?.get(SIGNER_HEADER) || undefined, kind });
      },
    });
    await spy.flush();
    const before = child.service.stats();
    const result = await root.service.cascade({ strategy: 'parallel', verb: 'act', payload: { command: 'arm' }, arrivalWindowMs: 50 });
    const phase = result.phases[0]!;
    const real = phase.children.find((c) => c.leadId === CHILD)!;
    expect(real.state).toBe('reported');
    expect(real.admission).toBe('started');
    expect(real.targetTimeLocal).not.toBeNull();
    // The root holds the report before the child has read the root's confirmation of it.
    await expect.poll(() => child.service.stats().reportsSent - before.reportsSent, { timeout: 5_000 }).toBe(1);
    expect(child.service.stats().reportsFailed - before.reportsFailed).toBe(0);
    await spy.flush();
    sub.unsubscribe();
    const fromLeads = replies.filter((r) => r.signer === ROOT || r.signer === CHILD);
    // At least the child's confirmation and the root's report confirmation.
    expect(fromLeads.filter((r) => r.kind === 'REPLY').map((r) => r.signer)).toEqual(expect.arrayContaining([ROOT, CHILD]));
    expect(replies.filter((r) => r.signer === undefined)).toEqual([]);
  }, 30_000);

  async function announceImpostor(): Promise<void> {
    const now = performanceClock.now();
    const summary: Summary = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(now),
      sender_id: IMPOSTOR,
      created_at: now,
      ttl_ms: 15_000,
      kind: 'SUMMARY',
      lead_id: IMPOSTOR,
      cluster_id: 'cluster-x',
      agent_count: 1,
      by_state: { active: 1, degraded: 0, offline: 0, quarantined: 0 },
      impedance: { mean: 100, p50: 100, p95: 100, max: 100 },
      max_lead_time_ms: 100,
      mode: 'FULL',
      frozen: false,
      capabilities: ['gpio'],
    };
    const frame = await encodeMessage(summary, impostorKeys.signer, IMPOSTOR);
    await impostor.request(subjects.summary(ROOT), frame.body, { headers: frameHeaders(frame), timeout: 5_000 });
  }

  const forgedAnswers: Record<string, (msg: Msg) => Promise<void>> = {
    'the old unsigned JSON': (msg) => {
      msg.respond(new TextEncoder().encode(JSON.stringify({ ok: true, admission: 'started', target_time_local: performanceClock.now() + 1_000 })));
      return Promise.resolve();
    },
    'a REPLY signed with another key': async (msg) => {
      const coordinate = JSON.parse(new TextDecoder().decode(msg.data)) as { message_id: string };
      const now = performanceClock.now();
      const frame = await encodeMessage(
        { v: PROTOCOL_VERSION, message_id: newMessageId(now), sender_id: IMPOSTOR, created_at: now, ttl_ms: 30_000, kind: 'REPLY', in_reply_to: coordinate.message_id, to: ROOT, ok: true, cascade: { admission: 'started' } },
        forgerKeys.signer,
        IMPOSTOR,
      );
      msg.respond(frame.body, { headers: frameHeaders(frame) });
    },
  };

  for (const [name, forged] of Object.entries(forgedAnswers)) {
    it(`the root refuses a confirmation that is ${name}`, async () => {
      impostorAnswer = forged;
      const sub = impostor.subscribe(subjects.summary(IMPOSTOR), { callback: (_e, msg) => void impostorAnswer(msg) });
      await impostor.flush();
      await announceImpostor();
      const result = await root.service.cascade({ strategy: 'parallel', verb: 'act', payload: { command: 'arm' }, arrivalWindowMs: 50, gatherMs: 200 });
      sub.unsubscribe();
      const phase = result.phases[0]!;
      const entry = phase.children.find((c) => c.leadId === IMPOSTOR)!;
      expect(entry.state).toBe('refused');
      expect(entry.reason).toMatch(/^UNTRUSTED_REPLY: /);
      // The real child still confirmed and reported; only the forged answer counts for nothing.
      expect(phase.children.find((c) => c.leadId === CHILD)!.state).toBe('reported');
      expect(phase.leads.confirmed).toBe(1);
    }, 30_000);
  }
});
