import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyEnv, envBindings, envSourceOf } from './env-overlay.js';

const Schema = z.object({
  lead_id: z.string(),
  http: z.object({ port: z.number().default(8080), tls: z.boolean().optional() }),
  nats: z.object({ servers: z.array(z.string()).default([]) }),
  operators: z.array(z.object({ id: z.string() })).optional(),
});
const NAMING = { prefix: 'APP_', separator: '__', ignored: ['APP_CONFIG'] };

describe('envBindings', () => {
  it('gives every leaf a variable named after its path, typed by the schema', () => {
    expect(envBindings(Schema, NAMING).map((b) => [b.name, b.path.join('.'), b.kind])).toEqual([
      ['APP_LEAD_ID', 'lead_id', 'string'],
      ['APP_HTTP__PORT', 'http.port', 'number'],
      ['APP_HTTP__TLS', 'http.tls', 'boolean'],
      ['APP_NATS__SERVERS', 'nats.servers', 'list'],
      ['APP_OPERATORS', 'operators', 'json'],
    ]);
  });

  it('refuses a schema where two keys would share one variable', () => {
    const clash = z.object({ a_b: z.string(), a: z.object({ b: z.string() }) });
    expect(() => envBindings(clash, { prefix: 'X_', separator: '_' })).toThrow('config keys a_b and a.b would share the variable X_A_B');
  });
});

describe('applyEnv', () => {
  const bindings = envBindings(Schema, NAMING);

  it('overlays converted values without touching the input, and says which variable set what', () => {
    const file = { lead_id: 'lead-1', http: { port: 1 } };
    const env = { APP_HTTP__PORT: ' 9100 ', APP_HTTP__TLS: 'yes', APP_NATS__SERVERS: 'nats://a:1, ,nats://b:2', APP_OPERATORS: '[{"id":"ops"}]' };
    const overlay = applyEnv(file, env, bindings, NAMING);
    expect(overlay.document).toEqual({ lead_id: 'lead-1', http: { port: 9100, tls: true }, nats: { servers: ['nats://a:1', 'nats://b:2'] }, operators: [{ id: 'ops' }] });
    expect(file).toEqual({ lead_id: 'lead-1', http: { port: 1 } });
    expect(overlay.applied).toEqual(['APP_HTTP__PORT', 'APP_HTTP__TLS', 'APP_NATS__SERVERS', 'APP_OPERATORS']);
    expect(envSourceOf(overlay.sources, ['nats', 'servers', '1'])).toBe('APP_NATS__SERVERS');
    expect(envSourceOf(overlay.sources, ['lead_id'])).toBeUndefined();
  });

  it('passes text that does not convert on unchanged, so the schema words the refusal', () => {
    const overlay = applyEnv({}, { APP_HTTP__PORT: 'soon', APP_HTTP__TLS: 'maybe', APP_OPERATORS: '[oops' }, bindings, NAMING);
    expect(overlay.document).toEqual({ http: { port: 'soon', tls: 'maybe' }, operators: '[oops' });
    // The object the variable had to create is attributed to it too.
    expect(envSourceOf(overlay.sources, ['http'])).toBe('APP_HTTP__PORT');
  });

  it('treats an empty variable as unset and reports unknown prefixed names, ignoring the listed ones', () => {
    const overlay = applyEnv({ lead_id: 'x' }, { APP_LEAD_ID: '', APP_HTTP_PORT: '1', APP_CONFIG: '/etc/app.json', HOME: '/root' }, bindings, NAMING);
    expect(overlay.document).toEqual({ lead_id: 'x' });
    expect(overlay.unknown).toEqual([{ name: 'APP_HTTP_PORT', suggestion: 'APP_HTTP__PORT' }]);
  });
});
