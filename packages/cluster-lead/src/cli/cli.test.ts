import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock, PROTOCOL_VERSION, createEnrollmentRequest, parseApiToken, publicKeyText, verifyEnrollment, type EnrollmentRecord, type ParsedApiToken } from '@mesh30k/shared';
import { generateKeyFile, loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { loadConfig } from '../config/index.js';
import { EXIT } from '../lib/errors.js';
import { main, type CliIo } from './index.js';
import { nkeys } from '../nats-config/nkeys.js';

const NOW = 1_800_000_000_000;

function io(env: Record<string, string> = {}): CliIo & { stdout: string; stderr: string } {
  const captured = { stdout: '', stderr: '' };
  return Object.assign(captured, {
    out: (text: string) => void (captured.stdout += text),
    err: (text: string) => void (captured.stderr += text),
    env,
    now: () => NOW,
  });
}

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-cli-');
});
afterEach(async () => {
  await dir.dispose();
});

async function agentRequest(): Promise<{ path: string; publicKey: Uint8Array }> {
  const keys = await nodeEd25519.generateKeyPair();
  const request = await createEnrollmentRequest(nodeEd25519.signerSync(keys.privateKey), {
    v: PROTOCOL_VERSION,
    agent_id: 'pi-kitchen',
    public_key: publicKeyText(keys.publicKey),
    role: 'agent',
    class: 'E',
    capabilities: ['sensor.read', 'gpio', 'camera'],
    cluster_id: 'cluster-1',
    created_at: NOW - 5_000,
  });
  if (!request.ok) throw request.error;
  const path = join(dir.path, 'request.json');
  await writeFile(path, JSON.stringify(request.value));
  return { path, publicKey: keys.publicKey };
}

describe('mesh-lead enroll', () => {
  it('verifies a request and signs its enrollment with the root key, narrowed by the flags', async () => {
    const root = await generateKeyFile(join(dir.path, 'root.key'));
    const request = await agentRequest();
    const out = join(dir.path, 'pi-kitchen.enrollment.json');
    const cli = io();
    const code = await main(['enroll', '--root-key', join(dir.path, 'root.key'), '--request', request.path, '--capabilities', 'sensor.read,gpio', '--sector', 'sector-2', '--expires-days', '30', '--out', out], cli);
    expect(cli.stderr).toBe('');
    expect(code).toBe(EXIT.OK);

    const signed = JSON.parse(await readFile(out, 'utf8')) as unknown;
    const verified = await verifyEnrollment(nodeEd25519, [root.publicKey], signed, new ManualClock(NOW));
    expect(verified.ok).toBe(true);
    const record = (verified as { ok: true; value: { record: EnrollmentRecord } }).value.record;
    expect(record).toMatchObject({
      agent_id: 'pi-kitchen',
      public_key: publicKeyText(request.publicKey),
      capabilities: ['sensor.read', 'gpio'],
      sector_id: 'sector-2',
      issued_at: NOW,
      expires_at: NOW + 30 * 86_400_000,
    });
    // What keygen prints as a whole (key path, public key, the request) is taken as well.
    const wrapped = join(dir.path, 'keygen-output.json');
    await writeFile(wrapped, JSON.stringify({ key_path: '/var/lib/mesh30k/agent.key', public_key: publicKeyText(request.publicKey), enrollment_request: JSON.parse(await readFile(request.path, 'utf8')) as unknown }));
    const fromKeygen = io();
    expect(await main(['enroll', '--root-key', join(dir.path, 'root.key'), '--request', wrapped], fromKeygen)).toBe(EXIT.OK);
    expect(JSON.parse(fromKeygen.stdout)).toHaveProperty('signature');
    // It never overwrites an enrollment already written.
    expect(await main(['enroll', '--root-key', join(dir.path, 'root.key'), '--request', request.path, '--out', out], io())).toBe(EXIT.USAGE);
  });

  it('refuses a tampered request with exit status 65', async () => {
    await generateKeyFile(join(dir.path, 'root.key'));
    const request = await agentRequest();
    const text = await readFile(request.path, 'utf8');
    const envelope = JSON.parse(text) as { bytes: string };
    const bytes = Buffer.from(envelope.bytes, 'base64url').toString('utf8').replace('"E"', '"D"');
    await writeFile(request.path, JSON.stringify({ ...envelope, bytes: Buffer.from(bytes).toString('base64url') }));
    const cli = io();
    expect(await main(['enroll', '--root-key', join(dir.path, 'root.key'), '--request', request.path], cli)).toBe(EXIT.DATA);
    expect(cli.stderr).toMatch(/^mesh-lead: enrollment request refused \(BAD_SIGNATURE\)/);
  });
});

describe('mesh-lead init', () => {
  it('writes keys, the lead enrollment and both configs with 0700/0600, prints the keys, and never overwrites without --force', async () => {
    const target = join(dir.path, 'lead-host');
    const cli = io();
    expect(await main(['init', target, '--lead-id', 'lead-a', '--cluster', 'c1', '--operator', 'cecilia', '--nats', '127.0.0.1:4333'], cli)).toBe(EXIT.OK);
    expect(cli.stderr).toBe('');
    expect((await stat(target)).mode & 0o777).toBe(0o700);
    for (const name of ['root.key', 'lead.key', 'operator.key', 'lead.enrollment.json', 'lead.json', 'lead-nats.nk']) {
      expect((await stat(join(target, name))).mode & 0o777, name).toBe(0o600);
    }
    // The broker's files: readable by group nats (docs/deploy.md), where nats-user edits them.
    expect((await stat(join(target, 'nats'))).mode & 0o7777).toBe(0o2750);
    for (const name of ['nats/fleet.json', 'nats/nats-server.conf']) expect((await stat(join(target, name))).mode & 0o777, name).toBe(0o640);
    const root = await loadKeyPair(join(target, 'root.key'));
    const lead = await loadKeyPair(join(target, 'lead.key'));
    expect(cli.stdout).toContain(`mesh root  ${publicKeyText(root.publicKey)}`);
    expect(cli.stdout).toContain(`lead       ${publicKeyText(lead.publicKey)}`);
    expect(cli.stdout).toContain(`nats-server -c ${target}/nats/nats-server.conf`);
    expect(cli.stdout).toContain(`mesh-lead nats-user add <agent-id> --lead lead-a --dir ${target}/nats`);
    expect(cli.stdout).toContain('mesh enroll accept <agent-id>');

    // The config loads as it is, and the lead's enrollment is the root's word for the lead key.
    const config = await loadConfig({ file: join(target, 'lead.json'), env: {} });
    expect(config).toMatchObject({ lead_id: 'lead-a', cluster_id: 'c1', nats: { servers: ['nats://127.0.0.1:4333'], nkey_seed_file: join(target, 'lead-nats.nk') } });
    expect(config.trust.root_key_path).toBe(join(target, 'root.key'));
    expect(config.api.operators[0]).toMatchObject({ id: 'cecilia', role: 'operator' });
    const enrollment = await verifyEnrollment(nodeEd25519, [root.publicKey], JSON.parse(await readFile(join(target, 'lead.enrollment.json'), 'utf8')), new ManualClock(NOW));
    expect(enrollment.ok && enrollment.value.record).toMatchObject({ agent_id: 'lead-a', role: 'lead', public_key: publicKeyText(lead.publicKey) });
    // The broker knows the lead by the nkey whose seed init gave the lead, and nobody else.
    const fleet = JSON.parse(await readFile(join(target, 'nats/fleet.json'), 'utf8')) as { leads: { id: string; nkey: string }[]; agents: unknown[]; server: { listen: unknown } };
    const leadNkey = nkeys.fromSeed(new TextEncoder().encode((await readFile(join(target, 'lead-nats.nk'), 'utf8')).trim())).getPublicKey();
    expect(fleet).toMatchObject({ leads: [{ id: 'lead-a', nkey: leadNkey }], agents: [], server: { listen: { host: '127.0.0.1', port: 4333 } } });
    const conf = await readFile(join(target, 'nats/nats-server.conf'), 'utf8');
    expect(conf).toContain(`nkey: "${leadNkey}"`);
    expect(conf).not.toContain('tls:');
    expect(conf).not.toContain('leafnodes:');

    const again = io();
    expect(await main(['init', target], again)).toBe(EXIT.USAGE);
    expect(again.stderr).toMatch(/already exist.*--force/);
    expect(publicKeyText((await loadKeyPair(join(target, 'root.key'))).publicKey)).toBe(publicKeyText(root.publicKey));
    expect(await main(['init', target, '--force', '--lead-id', 'lead-a'], io())).toBe(EXIT.OK);
    expect(publicKeyText((await loadKeyPair(join(target, 'root.key'))).publicKey)).not.toBe(publicKeyText(root.publicKey));
  });

  it('makes the API a self-signed certificate for its names (key 0600), or writes a loopback-only plain config with --plain-http', async () => {
    const target = join(dir.path, 'api-host');
    const cli = io();
    expect(await main(['init', target, '--http', '0.0.0.0:8470', '--api-names', 'lead.example,10.1.2.3'], cli)).toBe(EXIT.OK);
    const config = await loadConfig({ file: join(target, 'lead.json'), env: {} });
    expect(config.http).toMatchObject({ host: '0.0.0.0', allow_plain_http: false, tls: { cert_path: join(target, 'api-tls/cert.pem'), key_path: join(target, 'api-tls/key.pem') } });
    expect((await stat(join(target, 'api-tls/key.pem'))).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(await readFile(join(target, 'api-tls/cert.pem')));
    expect(cert.subjectAltName).toContain('DNS:lead.example');
    expect(cert.subjectAltName).toContain('IP Address:10.1.2.3');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cli.stdout).toContain(`fingerprint (SHA-256) ${cert.fingerprint256}`);
    expect(cli.stdout).toContain(`--ca ${join(target, 'api-tls/cert.pem')} --use`);

    const plain = join(dir.path, 'plain-host');
    expect(await main(['init', plain, '--plain-http'], io())).toBe(EXIT.OK);
    expect((await loadConfig({ file: join(plain, 'lead.json'), env: {} })).http).toMatchObject({ host: '127.0.0.1', allow_plain_http: true });
    const open = io();
    expect(await main(['init', join(dir.path, 'y'), '--plain-http', '--http', '0.0.0.0:8470'], open)).toBe(EXIT.USAGE);
    expect(open.stderr).toMatch(/--plain-http needs a loopback --http host/);
  });

  it('keeps the root key off the lead with --root-key-out', async () => {
    const target = join(dir.path, 'lead-host');
    const offline = join(dir.path, 'offline-root.key');
    const cli = io();
    expect(await main(['init', target, '--root-key-out', offline], cli)).toBe(EXIT.OK);
    const config = await loadConfig({ file: join(target, 'lead.json'), env: {} });
    expect(config.trust.root_key_path).toBeUndefined();
    expect((await stat(offline)).mode & 0o777).toBe(0o600);
    expect(cli.stdout).toContain(`--root-key ${offline}`);
    expect(await main(['init'], io())).toBe(EXIT.USAGE);
    expect(await main(['init', join(dir.path, 'x'), '--http', 'nowhere'], io())).toBe(EXIT.USAGE);
    expect(await main(['init', join(dir.path, 'x'), '--leaf-port', '99999'], io())).toBe(EXIT.USAGE);
    const half = io();
    expect(await main(['init', join(dir.path, 'x'), '--tls-cert', 'server.pem'], half)).toBe(EXIT.USAGE);
    expect(half.stderr).toBe('mesh-lead: --tls-cert and --tls-key go together\n');
  });

  it('with TLS and a leaf port: tls:// for the lead and the agents, the CA they verify with, leaf nodes on the broker', async () => {
    const target = join(dir.path, 'tls-host');
    const cli = io();
    const tlsArgs = ['--tls-cert', join(dir.path, 'server.pem'), '--tls-key', join(dir.path, 'server.key'), '--tls-ca', join(dir.path, 'ca.pem')];
    const dataDir = join(dir.path, 'var-lib-mesh-lead');
    expect(await main(['init', target, '--nats', '0.0.0.0:4222', '--leaf-port', '7422', '--data-dir', dataDir, ...tlsArgs], cli)).toBe(EXIT.OK);
    const config = await loadConfig({ file: join(target, 'lead.json'), env: {} });
    expect(config.data_dir).toBe(dataDir);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    // A wildcard listener: the lead, on the same host, uses loopback.
    expect(config.nats).toMatchObject({ servers: ['tls://127.0.0.1:4222'], tls: { ca_file: join(dir.path, 'ca.pem') } });
    expect(cli.stdout).toContain('"servers":["tls://<lead-host>:4222"],"tls":{"ca_file":"/etc/mesh30k/ca.pem"},"nkey_seed_file":"/var/lib/mesh30k/nats.nk"');
    const conf = await readFile(join(target, 'nats/nats-server.conf'), 'utf8');
    expect(conf).toContain(`cert_file: "${join(dir.path, 'server.pem')}"`);
    expect(conf).toMatch(/leafnodes: \{\n\s+host: "0\.0\.0\.0"\n\s+port: 7422\n\s+tls:/);
  });
});

describe('mesh-lead operator-key and api-token', () => {
  it('writes an operator key, prints its config entry, and signs tokens the lead accepts', async () => {
    const keyFile = join(dir.path, 'cecilia.key');
    const made = io();
    expect(await main(['operator-key', '--out', keyFile, '--id', 'cecilia'], made)).toBe(EXIT.OK);
    const entry = JSON.parse(made.stdout.trim().split('\n').at(-1)!) as { id: string; public_key: string; role: string };
    const keys = await loadKeyPair(keyFile);
    expect(entry).toEqual({ id: 'cecilia', public_key: publicKeyText(keys.publicKey), role: 'operator' });
    // Never over an existing key.
    expect(await main(['operator-key', '--out', keyFile], io())).toBe(EXIT.USAGE);

    const tokenIo = io();
    expect(await main(['api-token', '--key', keyFile, '--id', 'cecilia', '--role', 'read', '--ttl', '15m'], tokenIo)).toBe(EXIT.OK);
    const parsed = parseApiToken(tokenIo.stdout.trim());
    expect(parsed.ok).toBe(true);
    const token = (parsed as { ok: true; value: ParsedApiToken }).value;
    expect(token.claims).toEqual({ sub: 'cecilia', role: 'read', iat: NOW, exp: NOW + 15 * 60_000 });
    expect(await nodeEd25519.verify(keys.publicKey, token.signingBytes, token.signature)).toBe(true);
  });

  it('refuses a bad ttl or role with exit 64', async () => {
    const keyFile = join(dir.path, 'op.key');
    await generateKeyFile(keyFile);
    for (const args of [['--ttl', '31d'], ['--ttl', '10'], ['--ttl', '1h', '--role', 'admin']]) {
      const cli = io();
      expect(await main(['api-token', '--key', keyFile, '--id', 'op', ...args], cli)).toBe(EXIT.USAGE);
      expect(cli.stderr).toMatch(/^mesh-lead: --(ttl|role) /);
    }
  });
});

describe('mesh-lead command line', () => {
  it('prints help, and exits 64 on a usage mistake', async () => {
    const help = io();
    expect(await main(['--help'], help)).toBe(EXIT.OK);
    expect(help.stdout).toContain('mesh-lead run --config');
    expect(help.stdout).toContain('MESH_LEAD_HTTP__PORT');
    const version = io();
    expect(await main(['--version'], version)).toBe(EXIT.OK);
    const { version: expected } = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout).toBe(`mesh-lead ${expected}\n`);
    const wrong = io();
    expect(await main(['launch'], wrong)).toBe(EXIT.USAGE);
    expect(wrong.stderr).toBe('mesh-lead: unknown command "launch"; try mesh-lead --help\n');
    expect(await main(['enroll', '--root-key', 'x'], io())).toBe(EXIT.USAGE);
  });

  it('exits 78 on a bad config, one line per problem naming field and source', async () => {
    const file = join(dir.path, 'lead.json');
    await writeFile(file, JSON.stringify({ lead_id: 'lead 1', cluster_id: 'c1', nats: { servers: [] } }));
    const cli = io({ MESH_LEAD_HTTP__PORT: 'http' });
    expect(await main(['run', '--config', file], cli)).toBe(EXIT.CONFIG);
    const lines = cli.stderr.trim().split('\n');
    expect(lines).toContain(`mesh-lead: config lead_id: must be 1-64 letters, digits, "_" or "-" (from file ${file})`);
    expect(lines.some((line) => line.startsWith('mesh-lead: config http.port:') && line.endsWith('(from env MESH_LEAD_HTTP__PORT)'))).toBe(true);
    expect(lines.some((line) => line.startsWith('mesh-lead: config nats.servers:'))).toBe(true);
    expect(lines.every((line) => line.startsWith('mesh-lead: config '))).toBe(true);
  });
});
