import { issueApiToken } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, describe, expect, it } from 'vitest';
import { apiTestKit, KIT_NOW } from '../api/api-test-kit.js';
import { createApi, type LeadStatusBody } from '../api/app.js';
import { BreakerHistory } from '../breakers/index.js';
import { silentLogger } from '../lib/logger.js';
import { createWebUi } from './web-ui.js';

const kit = await apiTestKit();
const status = { lead_id: 'lead-b', cluster_id: 'c1', mesh: { agents_active: 1, agents_total: 1, mode: 'FULL' } } as unknown as LeadStatusBody;
const history = new BreakerHistory();
const web = createWebUi({ access: kit.access, status: () => status, breakerHistory: history, logger: silentLogger() });
const api = createApi({ access: kit.access, status: () => status, agent: () => undefined, readiness: () => [], logger: silentLogger(), web });
afterAll(() => web.close());

describe('dashboard live feed: breakers', () => {
  it('carries each breaker transition as a `breaker` event, shaped as GET /v1/breakers/history answers it', async () => {
    const token = await issueApiToken(nodeEd25519.signerSync(kit.keys.viewer.privateKey), { sub: 'viewer', role: 'read', iat: KIT_NOW, exp: KIT_NOW + 3_600_000 });
    const signIn = await api.request('/ui/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const controller = new AbortController();
    const response = await api.request('/ui/events', { headers: { cookie }, signal: controller.signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error(`stream ended before ${needle}`);
        text += chunk.value;
      }
    };
    await readUntil('event: snapshot');
    history.record({ name: 'breaker.opened', kind: 'opened', scope: 'cluster', targetId: 'north', from: 'closed', to: 'open', reason: '6 failures', at: KIT_NOW + 0.5, nextCheckAt: null, shadow: false });
    await readUntil('"target_id":"north"');
    expect(text).toContain('event: breaker\ndata: {"seq":1,"at":1800000000000.5,"scope":"cluster","target_id":"north","from":"closed","to":"open","kind":"opened","reason":"6 failures","shadow":false}\nid: ');
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });
});
