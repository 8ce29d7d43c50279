import { afterAll, describe, expect, it } from 'vitest';
import { apiTestKit } from '../api/api-test-kit.js';
import { createApi } from '../api/app.js';
import { silentLogger } from '../lib/logger.js';
import { UI_ASSETS } from './assets.generated.js';
import { createWebUi } from './web-ui.js';

const kit = await apiTestKit();
const web = createWebUi({ access: kit.access, status: () => ({}) as never, logger: silentLogger() });
const api = createApi({ access: kit.access, status: () => ({}) as never, agent: () => undefined, readiness: () => [], logger: silentLogger(), web });
afterAll(() => web.close());

describe('GET /ui/assets/:name', () => {
  it('serves every built file, the split chart chunks too, with its type', async () => {
    expect(Object.keys(UI_ASSETS).filter((name) => name.startsWith('chunk-')).length).toBeGreaterThan(0);
    for (const [name, asset] of Object.entries(UI_ASSETS)) {
      const res = await api.request(`/ui/assets/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toBe(asset.type);
    }
  });

  it('answers 404 for a name that is not a built file, inherited object names too', async () => {
    for (const name of ['nope.js', 'toString', 'constructor', '__proto__']) expect((await api.request(`/ui/assets/${name}`)).status, name).toBe(404);
  });
});
