import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh30k-nats-user-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (text) => (out += text), err: (text) => (err += text), env: {}, now: () => 0 };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('mesh-lead nats-user', () => {
  const nats = join(dir, 'nats');

  it('adds a lead and an agent with seeds of their own, and writes the server config', async () => {
    expect((await cli('nats-user', 'add-lead', 'lead-1', '--dir', nats)).code).toBe(0);
    const added = await cli('nats-user', 'add', 'pi-1', '--lead', 'lead-1', '--dir', nats);
    expect(added.code).toBe(0);
    expect(added.out).toContain('nkey_seed_file');
    expect(added.out).toContain('systemctl reload mesh-nats');
    expect(readFileSync(join(nats, 'users/pi-1.nk'), 'utf8')).toMatch(/^SU[A-Z2-7]{56}\n$/);
    const fleet = JSON.parse(readFileSync(join(nats, 'fleet.json'), 'utf8')) as { agents: { id: string; nkey: string }[] };
    expect(readFileSync(join(nats, 'nats-server.conf'), 'utf8')).toContain(fleet.agents[0]!.nkey);
  });

  it('refuses a change the fleet cannot take, naming the field, and writes no seed', async () => {
    const refused = await cli('nats-user', 'add', 'pi-2', '--lead', 'lead-9', '--dir', nats);
    expect(refused.code).toBe(78);
    expect(refused.err).toContain('agents.1.lead: no lead "lead-9" in leads');
    expect(existsSync(join(nats, 'users/pi-2.nk'))).toBe(false);
  });

  it('takes a public key instead of making a seed, and refuses one that is not a user nkey', async () => {
    const bad = await cli('nats-user', 'add', 'pi-3', '--lead', 'lead-1', '--public-key', 'SUAXYZ', '--dir', nats);
    expect(bad.code).toBe(64);
    expect(bad.err).toContain('--public-key must be a NATS user public nkey');
    const usage = await cli('nats-user', 'launch', '--dir', nats);
    expect(usage.err).toContain('unknown action "launch"');
  });

  it('removes an agent again', async () => {
    expect((await cli('nats-user', 'remove', 'pi-1', '--dir', nats)).code).toBe(0);
    expect(readFileSync(join(nats, 'fleet.json'), 'utf8')).not.toContain('"pi-1"');
    expect((await cli('nats-user', 'remove', 'pi-1', '--dir', nats)).err).toContain('no agent, lead or site "pi-1"');
  });
});
