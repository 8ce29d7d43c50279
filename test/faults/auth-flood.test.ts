// Forged API requests and unauthenticated deep health checks against a real lead (nats-server,
// `mesh-lead run`, `mesh-agent sim`): failed authentication is limited per source address (429
// with Retry-After, counted) without touching callers from elsewhere, refusal log lines are
// sampled, and a burst of GET /health/deep makes the lead sign one probe, not one per request.
import { request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMesh, type LocalMesh } from '../harness/index.js';

const FORGED = 300;
/** The lead's defaults (api.auth_failures.burst, api.auth_log.first). */
const FAILURE_BURST = 10;
const LOG_FIRST = 10;

/** One GET from a chosen local address (loopback has all of 127/8), so the lead sees another source. */
function getFrom(localAddress: string, url: string, authorization: string): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers: { authorization } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API authentication flood', () => {
  let mesh: LocalMesh;
  let nc: NatsConnection;

  beforeAll(async () => {
    mesh = await startLocalMesh({ agents: 3, seed: 51 });
    nc = await connect({ servers: mesh.natsUrl });
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await mesh?.stop();
  });

  it('limits failures per source address with 429 and Retry-After, samples the log, and serves other sources', async () => {
    const forged = `Mesh-Ed25519 id=intruder,ts=${Date.now()},nonce=n0000000001,sig=${'A'.repeat(86)}`;
    const answers = [];
    for (let i = 0; i < FORGED; i++) answers.push(await getFrom('127.0.0.2', `${mesh.leadUrl}/v1/status`, forged));
    const unauthorized = answers.filter((a) => a.status === 401).length;
    const limited = answers.filter((a) => a.status === 429);
    // The burst is refused on its merits (with a little refill while the flood runs), the rest before any check.
    expect(unauthorized).toBeGreaterThanOrEqual(FAILURE_BURST);
    expect(unauthorized).toBeLessThan(FAILURE_BURST + 5);
    expect(unauthorized + limited.length).toBe(FORGED);
    expect(Number(limited[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(limited[0]!.body)).toMatchObject({ code: 'RATE_LIMITED', reason: 'TOO_MANY_FAILURES' });

    // The harness's operator calls from 127.0.0.1: untouched.
    const metrics = await mesh.api.get<string>('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain(`mesh_lead_limit_hits_total{limit="auth_failure_rate"} ${limited.length}`);

    // At most the first few refusals are logged in full (the summary comes when the window ends).
    const log = await readFile(join(mesh.dir, 'lead.log'), 'utf8');
    const refusedLines = log.split('\n').filter((line) => line.includes('"api auth refused'));
    expect(refusedLines.length).toBeLessThanOrEqual(LOG_FIRST);
    expect(refusedLines.length).toBeGreaterThan(0);
  }, 60_000);

  it('answers a burst of unauthenticated deep health checks with one signed probe', async () => {
    let probes = 0;
    const sub = nc.subscribe('mesh.agent.*.probe', { callback: () => probes++ });
    const answers = await Promise.all(Array.from({ length: 200 }, () => mesh.api.get<{ status: string; agent_id: string }>('/health/deep')));
    await nc.flush();
    sub.unsubscribe();
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.body.agent_id)).size).toBe(1);
    expect(probes).toBe(1);
  }, 60_000);
});
