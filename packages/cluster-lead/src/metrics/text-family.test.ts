import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePromText, promtoolCheckMetrics } from '../../../../test/harness/index.js';
import { gaugeFamilyText, labelText, valueText } from './text-family.js';

describe('gauge families written as text', () => {
  const awkward = { agent_id: 'pi-01', sensor_id: 'door "front"\\left\nside', unit: '' };

  it('escapes label values and help as the format asks, and writes NaN and infinities by name', () => {
    expect(labelText(awkward)).toBe('{agent_id="pi-01",sensor_id="door \\"front\\"\\\\left\\nside",unit=""}');
    expect(labelText({})).toBe('');
    expect([NaN, Infinity, -Infinity, 0.1, 1_800_000_000.5].map(valueText)).toEqual(['NaN', '+Inf', '-Inf', '0.1', '1800000000.5']);
    expect(gaugeFamilyText('x_g', 'a\\b\nc', [['', 1]])).toBe('# HELP x_g a\\\\b\\nc\n# TYPE x_g gauge\nx_g 1\n');
  });

  it('gives the lines prom-client gives for the same series, and promtool passes the page', async () => {
    const registry = new Registry();
    const gauge = new Gauge({ name: 'mesh_test_value', help: 'A reading.', labelNames: ['agent_id', 'sensor_id', 'unit'], registers: [registry] });
    gauge.set(awkward, 21.5);
    // Not NaN: prom-client writes it "Nan"; the format's spelling (and ours) is "NaN".
    gauge.set({ agent_id: 'pi-02', sensor_id: 't', unit: 'C' }, -3.25);
    const theirs = await registry.metrics();
    const ours = gaugeFamilyText('mesh_test_value', 'A reading.', [
      [labelText(awkward), 21.5],
      [labelText({ agent_id: 'pi-02', sensor_id: 't', unit: 'C' }), -3.25],
    ]);
    expect(ours).toBe(theirs);
    const page = `${theirs}\n${gaugeFamilyText('mesh_test_other', 'Another.', [[labelText(awkward), NaN]])}`;
    expect(promtoolCheckMetrics(page)).toEqual({ code: 0, output: '' });
    expect(parsePromText(page).get('mesh_test_value{agent_id="pi-02",sensor_id="t",unit="C"}')?.value).toBe(-3.25);
  });
});
