// One enrolled agent floods its lead with CONFLICT reports, against real processes
// (nats-server, `mesh-lead run`, `mesh-agent sim`): the per-agent rate limit refuses the
// excess as RATE_LIMITED with retry_after_ms (counted), the other agents keep being served,
// and retention cuts the append-only log to its row limit off the hot path.
import { join } from 'node:path';
import { PROTOCOL_VERSION, SIGNATURE_HEADER, SIGNER_HEADER, encodeMessage, issueEnrollment, keyId, publicKeyText, subjects } from '@mesh30k/shared';
import { loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import { connect, headers, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMesh, waitFor, type LocalMesh } from '../harness/index.js';

const LEAD_ID = 'lead-local';
const REPORTS = 400;
const BURST = 20;
const MAX_ROWS = 10;
const decoder = new TextDecoder();

async function limitHits(mesh: LocalMesh, limit: string): Promise<number> {
  const res = await mesh.api.get<string>('/metrics');
  const line = res.body.split('\n').find((l) => l.startsWith(`mesh_lead_limit_hits_total{limit="${limit}"}`));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('conflict flood from one enrolled agent', () => {
  let mesh: LocalMesh;
  let nc: NatsConnection;

  beforeAll(async () => {
    mesh = await startLocalMesh({
      agents: 3,
      seed: 41,
      leadConfig: { conflicts: { rate_limit: { burst: BURST, per_second: 2 }, retention: { max_rows: MAX_ROWS, max_age_ms: 3_600_000, interval_ms: 200, batch: 4 } } },
    });
    nc = await connect({ servers: mesh.natsUrl });
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await mesh?.stop();
  });

  it('refuses the excess per agent, keeps serving the others, and prunes the log to its row limit', async () => {
    // A rogue but properly enrolled agent: enrolled by the mesh root through the API.
    const root = await loadKeyPair(join(mesh.dir, 'root.key'));
    const rogue = await nodeEd25519.generateKeyPair();
    const now = Date.now();
    const signed = await issueEnrollment(nodeEd25519.signerSync(root.privateKey), {
      v: PROTOCOL_VERSION,
      agent_id: 'pi-rogue',
      public_key: publicKeyText(rogue.publicKey),
      role: 'agent',
      class: 'E',
      capabilities: [],
      cluster_id: 'local-cluster',
      issued_at: now,
      expires_at: now + 3_600_000,
      issuer_key_id: await keyId(root.publicKey),
    });
    if (!signed.ok) throw signed.error;
    expect((await mesh.api.post('/v1/enrollments', signed.value)).status).toBeLessThan(300);

    const signer = nodeEd25519.signerSync(rogue.privateKey);
    const replies = await Promise.all(
      Array.from({ length: REPORTS }, async () => {
        const report = sampleMessage('CONFLICT', { sender: 'pi-rogue', at: Date.now() });
        const frame = await encodeMessage(report, signer, 'pi-rogue');
        const h = headers();
        h.set(SIGNER_HEADER, frame.signerId);
        h.set(SIGNATURE_HEADER, frame.signature);
        const answer = await nc.request(subjects.conflict(LEAD_ID), frame.body, { timeout: 20_000, headers: h });
        return JSON.parse(decoder.decode(answer.data)) as { ok: boolean; code?: string; retry_after_ms?: number; message?: string };
      }),
    );
    const accepted = replies.filter((r) => r.ok).length;
    const limited = replies.filter((r) => !r.ok && r.code === 'RATE_LIMITED');
    expect(accepted + limited.length).toBe(REPORTS);
    // The burst, plus what refilled at 2 per second while the flood lasted (a few seconds here).
    expect(accepted).toBeGreaterThanOrEqual(BURST);
    expect(accepted).toBeLessThan(BURST + 40);
    expect(limited[0]).toMatchObject({ retry_after_ms: expect.any(Number), message: expect.stringContaining('conflicts.rate_limit') });
    expect(await limitHits(mesh, 'conflict_rate')).toBe(limited.length);

    // Retention runs on its timer: the log comes down to the row limit, newest kept.
    await waitFor('retention to reach the row limit', 20_000, async () => {
      const page = await mesh.api.get<{ conflicts: unknown[] }>('/v1/conflicts?page_size=100');
      return page.body.conflicts.length <= MAX_ROWS ? true : undefined;
    });
    expect(await limitHits(mesh, 'conflict_retention')).toBe(accepted - MAX_ROWS);

    const status = await mesh.api.get<{ agents: { by_state: Record<string, number> } }>('/v1/status');
    expect(status.body.agents.by_state.active).toBe(3);
  }, 60_000);
});
