/**
 * The `mesh` console against a real lead (in-process, real NATS, real HTTP, real auth):
 * status exit codes for healthy, degraded (frozen) and unreachable, --json, paged agents,
 * freeze/thaw round trips, and refused credentials.
 */
import { join } from 'node:path';
import { nodeEd25519, saveKeyPair } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { EXIT, main, type ConsoleIo } from '../../src/console/index.js';
import { LeadFixture, OPERATOR_ID } from '../support/lead-fixture.js';

describe('mesh console against a real lead', () => {
  let nats: NatsServer;
  let fx: LeadFixture;
  let url = '';

  let keyFile = '';

  async function mesh(argv: string[], env: Record<string, string> = { MESH_OPERATOR_KEY: keyFile, MESH_OPERATOR_ID: OPERATOR_ID }): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: ConsoleIo = {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: { MESH_LEAD_URL: url, ...env },
      stdoutIsTty: false,
      stderrIsTty: false,
      // The lead runs on the fixture's manual clock; so does the console.
      now: () => fx.clock.now(),
      sleep: () => Promise.resolve(),
      random: () => 0.5,
    };
    const code = await main(argv, io);
    return { code, out, err };
  }

  beforeAll(async () => {
    nats = await startNats();
    fx = await LeadFixture.start({ natsUrl: nats.url });
    url = fx.lead.api.url;
    keyFile = join(fx.dir.path, 'operator.key');
    await saveKeyPair(keyFile, fx.operatorKeys);
    const agents = await fx.addAgents([{ agentId: 'pi-1' }, { agentId: 'pi-2' }, { agentId: 'pi-3' }]);
    for (const agent of agents) expect((await agent.heartbeat()).reply.accepted).toBe(true);
  });

  afterAll(async () => {
    await fx.close();
    await nats.dispose();
  });

  it('healthy: the status box, exit 0', async () => {
    const run = await mesh(['status']);
    expect(run.err).toBe('');
    expect(run.code).toBe(EXIT.OK);
    expect(run.out).toContain('Agents: 3 / 3 active (100.0%)');
    expect(run.out).toContain('Mode: FULL');
    expect(run.out).toContain('Last cascade: never');
  });

  it('--json is the lead status, parsable, with the verdict', async () => {
    const run = await mesh(['status', '--json']);
    expect(JSON.parse(run.out)).toMatchObject({ healthy: true, degraded_reasons: [], lead_id: 'lead-1', mesh: { agents_active: 3, agents_total: 3, mode: 'FULL', frozen: false } });
  });

  it('degraded while frozen (exit 1), healthy again after thaw', async () => {
    const frozen = await mesh(['freeze', '--reason', 'console test']);
    expect(frozen.code).toBe(EXIT.OK);
    expect(frozen.out).toMatch(/^MESH FROZEN\nAll 3 active agents told to pause \(message \S+\)\nthis lead: frozen\nTo resume: mesh thaw\n$/);
    const degraded = await mesh(['status', '--oneline']);
    expect(degraded).toMatchObject({ code: EXIT.DEGRADED, out: expect.stringMatching(/^DEGRADED \(frozen\) lead lead-1: 3\/3 agents active, mode FULL FROZEN/) });
    expect((await mesh(['thaw'])).code).toBe(EXIT.OK);
    expect((await mesh(['status'])).code).toBe(EXIT.OK);
  });

  it('one agent in detail; an unknown one exits 1', async () => {
    const run = await mesh(['agent', 'pi-2']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.out).toMatch(/^agent\s+pi-2\nstate\s+active/);
    expect((await mesh(['agent', 'pi-9'])).code).toBe(EXIT.DEGRADED);
  });

  it('quarantines and recovers an agent', async () => {
    const quarantined = await mesh(['agent', 'pi-3', '--quarantine', '--reason', 'console test']);
    expect(quarantined).toMatchObject({ code: EXIT.OK, out: 'agent pi-3: quarantine done, now quarantined\n' });
    expect((await mesh(['agents', '--state', 'quarantined', '--json'])).out).toContain('"agent_id": "pi-3"');
    const recovered = await mesh(['agent', 'pi-3', '--recover', '--json']);
    expect(JSON.parse(recovered.out)).toMatchObject({ agent_id: 'pi-3', action: 'recover' });
    expect((await mesh(['agent', 'pi-3', '--recover', '--retire'])).code).toBe(EXIT.USAGE);
  });

  it('agents: filtered, paged with --all, --json parses', async () => {
    const all = await mesh(['agents', '--page-size', '2', '--all']);
    expect(all.code).toBe(EXIT.OK);
    expect(all.out.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['pi-1', 'pi-2', 'pi-3']);
    const page = await mesh(['agents', '--page-size', '2', '--state', 'active', '--json']);
    const parsed = JSON.parse(page.out) as { agents: { agent_id: string }[]; next_page_token?: string };
    expect(parsed.agents.map((a) => a.agent_id)).toEqual(['pi-1', 'pi-2']);
    const rest = await mesh(['agents', '--page-size', '2', '--state', 'active', '--page-token', parsed.next_page_token!, '--json']);
    expect((JSON.parse(rest.out) as { agents: { agent_id: string }[] }).agents.map((a) => a.agent_id)).toEqual(['pi-3']);
  });

  it('exits 77 without credentials, and with a key the lead does not know', async () => {
    const none = await mesh(['status'], {});
    expect(none.code).toBe(EXIT.AUTH);
    expect(none.err).toMatch(/^mesh: status: UNAUTHENTICATED/);
    const strangerFile = join(fx.dir.path, 'stranger.key');
    await saveKeyPair(strangerFile, await nodeEd25519.generateKeyPair());
    const stranger = await mesh(['status'], { MESH_OPERATOR_KEY: strangerFile, MESH_OPERATOR_ID: OPERATOR_ID });
    expect(stranger.code).toBe(EXIT.AUTH);
    expect(stranger.err).toMatch(/^mesh: status: UNAUTHENTICATED \(BAD_SIGNATURE\)/);
  });

  it('heal recovers a quarantined agent (a job, followed to the end)', async () => {
    expect((await mesh(['agent', 'pi-2', '--quarantine'])).code).toBe(EXIT.OK);
    const healed = await mesh(['heal']);
    expect(healed.err).toBe('');
    expect(healed).toMatchObject({ code: EXIT.OK, out: 'Healing auto:\n- 1 agent recovered (pi-2)\n- 0 circuit breakers reset\nauto heal complete\n' });
  });

  it('mode: an override makes the mesh degraded until cleared', async () => {
    expect(await mesh(['mode'])).toMatchObject({ code: EXIT.OK, out: 'mode FULL (computed FULL, no override)\n' });
    expect((await mesh(['mode', '--set', 'DEGRADED_LIGHT'])).code).toBe(EXIT.DEGRADED);
    const status = await mesh(['status', '--json']);
    expect(status.code).toBe(EXIT.DEGRADED);
    expect(JSON.parse(status.out)).toMatchObject({ healthy: false, degraded_reasons: ['mode DEGRADED_LIGHT'] });
    expect((await mesh(['mode', '--clear'])).code).toBe(EXIT.OK);
    expect((await mesh(['status'])).code).toBe(EXIT.OK);
  });

  it('breakers --force opens one (exit 1 while open); auto hands it back half-open, heal closes it', async () => {
    const forced = await mesh(['breakers', '--force', 'cluster-1=open', '--scope', 'cluster', '--reason', 'console test']);
    expect(forced).toMatchObject({ code: EXIT.OK, out: expect.stringMatching(/^breaker cluster cluster-1: open/) });
    const listed = await mesh(['breakers']);
    expect(listed.code).toBe(EXIT.DEGRADED);
    expect(listed.out).toMatch(/cluster\s+cluster-1\s+open/);
    // Handed back to its own rules, the breaker probes first (half-open); heal closes it.
    expect(await mesh(['breakers', '--force', 'cluster-1=auto'])).toMatchObject({ code: EXIT.OK, out: 'breaker cluster cluster-1: half-open\n' });
    expect((await mesh(['breakers'])).code).toBe(EXIT.DEGRADED);
    expect((await mesh(['heal', 'cluster-1'])).out).toBe('Healing cluster-1:\n- 0 agents recovered\n- 1 circuit breaker reset (cluster cluster-1)\ncluster-1 heal complete\n');
    expect((await mesh(['breakers'])).code).toBe(EXIT.OK);
  });

  it('conflicts: none logged', async () => {
    expect(await mesh(['conflicts', '--since', '1h'])).toMatchObject({ code: EXIT.OK, out: 'no conflicts\n' });
    expect(JSON.parse((await mesh(['conflicts', '--json'])).out)).toEqual({ conflicts: [] });
  });

  it('breakers: all closed, exit 0', async () => {
    const run = await mesh(['breakers', '--json']);
    expect(run.code).toBe(EXIT.OK);
    expect(JSON.parse(run.out)).toHaveProperty('breakers');
  });

  it('unreachable once the lead has stopped: exit 2', async () => {
    await fx.lead.stop('test');
    const run = await mesh(['status']);
    expect(run.code).toBe(EXIT.DOWN);
    expect(run.err).toMatch(/^mesh: DOWN: cannot reach the lead at http:\/\/127\.0\.0\.1:\d+/);
  });
});
