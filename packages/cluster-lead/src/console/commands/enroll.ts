/**
 * `mesh enrollments`: agents that asked to join; `mesh enroll accept|reject AGENT`: decide.
 * Accept signs on the lead when it holds the root key, or here with --root-key (the root stays
 * off the lead), then posts the signed enrollment.
 */
import { AgentClass, Capabilities, Id, verifyEnrollmentRequest } from '@mesh30k/shared';
import { loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import { z } from 'zod';
import type { PendingEnrollmentJson } from '../../api/index.js';
import { signRequest, type EnrollmentOverrides } from '../../trust/index.js';
import { expectOk } from '../api.js';
import { printJson, type Command, type CommandContext } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { check, intFlag } from '../options.js';

interface ListBody {
  enrollments: PendingEnrollmentJson[];
  lead_signs: boolean;
}

const State = z.enum(['pending', 'rejected', 'all'], { error: 'must be pending, rejected or all' });

export const enrollmentsCommand: Command = {
  name: 'enrollments',
  summary: 'agents waiting to join (sent a signed request); accept with mesh enroll accept',
  usage: 'enrollments [--state pending|rejected|all]',
  flags: { state: { type: 'string' } },
  async run(ctx) {
    const state = check(State, ctx.args.values.state ?? 'pending', 'state');
    const body = expectOk<ListBody>(await ctx.client.get(`/v1/enrollments?state=${state}`), 'enrollments');
    if (ctx.options.json) {
      printJson(ctx, body);
      return EXIT.OK;
    }
    if (body.enrollments.length === 0) {
      ctx.io.out(`no ${state === 'all' ? '' : `${state} `}enrollment requests\n`);
      return EXIT.OK;
    }
    const rows = body.enrollments.map((e) => [e.agent_id, e.state, e.class, e.cluster_id, e.capabilities.join(',') || '-', e.public_key, String(e.requests), ago(ctx.io.now() - e.last_seen_at)]);
    const head = ['AGENT', 'STATE', 'CLASS', 'CLUSTER', 'CAPABILITIES', 'PUBLIC KEY', 'REQUESTS', 'LAST SEEN'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    ctx.io.out(`${[line(head), ...rows.map(line)].join('\n')}\n`);
    ctx.io.out(body.lead_signs ? 'Accept one with: mesh enroll accept AGENT\n' : 'This lead does not hold the root key: mesh enroll accept AGENT --root-key FILE\n');
    return EXIT.OK;
  },
};

export const enrollCommand: Command = {
  name: 'enroll',
  summary: 'accept or reject an agent\'s request to join (accept: the root key signs its enrollment)',
  usage: 'enroll accept|reject AGENT [--root-key FILE] [--capabilities a,b] [--class A-F] [--sector ID] [--expires-days N] [--reason TEXT]',
  flags: { 'root-key': { type: 'string' }, capabilities: { type: 'string' }, class: { type: 'string' }, sector: { type: 'string' }, 'expires-days': { type: 'string' }, reason: { type: 'string' } },
  async run(ctx) {
    const [verb, agent, extra] = ctx.args.positionals;
    if (verb !== 'accept' && verb !== 'reject') throw new ConsoleError('USAGE', 'enroll: say accept or reject, then the agent id (mesh enroll accept pi-01)');
    if (extra !== undefined) throw new ConsoleError('USAGE', `enroll: unexpected argument "${extra}"`);
    const agentId = check(Id, agent, 'agent');
    const path = `/v1/enrollments/${encodeURIComponent(agentId)}`;
    if (verb === 'reject') {
      const reason = typeof ctx.args.values.reason === 'string' ? ctx.args.values.reason : undefined;
      const entry = expectOk<PendingEnrollmentJson>(await ctx.client.post(`${path}/reject`, reason === undefined ? {} : { reason }, ctx.idempotencyKey()), 'reject');
      if (ctx.options.json) printJson(ctx, entry);
      else ctx.io.out(`${agentId} rejected: its requests are refused (${entry.reason ?? 'no reason'})\n`);
      return EXIT.OK;
    }
    const overrides = overridesFrom(ctx);
    const rootKey = ctx.args.values['root-key'];
    const res =
      typeof rootKey === 'string'
        ? await ctx.client.post('/v1/enrollments', await signHere(ctx, agentId, rootKey, overrides), ctx.idempotencyKey())
        : await ctx.client.post(`${path}/accept`, acceptBody(overrides), ctx.idempotencyKey());
    const enrolled = expectOk<{ agent_id: string; expires_at: number }>(res, 'accept');
    if (ctx.options.json) printJson(ctx, enrolled);
    else ctx.io.out(`${agentId} enrolled until ${new Date(enrolled.expires_at).toISOString()}: its next heartbeat is accepted (mesh agent ${agentId})\n`);
    return EXIT.OK;
  },
};

function overridesFrom(ctx: CommandContext): EnrollmentOverrides {
  const v = ctx.args.values;
  const capabilities = typeof v.capabilities === 'string' ? check(Capabilities, v.capabilities.split(',').map((c) => c.trim()).filter((c) => c !== ''), 'capabilities') : undefined;
  return {
    expiresDays: intFlag(v['expires-days'], 'expires-days', 1, 3650),
    agentClass: typeof v.class === 'string' ? check(AgentClass, v.class, 'class') : undefined,
    capabilities,
    sectorId: typeof v.sector === 'string' ? check(Id, v.sector, 'sector') : undefined,
  };
}

function acceptBody(o: EnrollmentOverrides): Record<string, unknown> {
  return {
    ...(o.expiresDays === undefined ? {} : { expires_days: o.expiresDays }),
    ...(o.agentClass === undefined ? {} : { class: o.agentClass }),
    ...(o.capabilities === undefined ? {} : { capabilities: o.capabilities }),
    ...(o.sectorId === undefined ? {} : { sector_id: o.sectorId }),
  };
}

/** The operator signs: fetch the agent's own signed request, check it, sign it with the root key here. */
async function signHere(ctx: CommandContext, agentId: string, rootKeyPath: string, overrides: EnrollmentOverrides): Promise<unknown> {
  let root;
  try {
    root = await loadKeyPair(rootKeyPath);
  } catch (error) {
    throw new ConsoleError('USAGE', `--root-key: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const list = expectOk<ListBody>(await ctx.client.get('/v1/enrollments?state=all'), 'enrollments');
  const entry = list.enrollments.find((e) => e.agent_id === agentId);
  if (entry === undefined) throw new ConsoleError('REFUSED', `no enrollment request from "${agentId}" on this lead; mesh enrollments lists them`);
  const request = await verifyEnrollmentRequest(nodeEd25519, entry.request);
  if (!request.ok || request.value.agent_id !== agentId) throw new ConsoleError('REFUSED', `the request the lead holds for "${agentId}" does not verify; not signed`);
  const signed = await signRequest(root, request.value, ctx.io.now(), overrides);
  if (!signed.ok) throw new ConsoleError('REFUSED', `cannot sign: ${signed.error.message}`);
  return signed.value;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}
