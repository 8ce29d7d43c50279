/**
 * `mesh-lead init DIR`: everything a new lead host needs, in one directory (mode 0700, every
 * key file 0600): the mesh root key, the lead's key and its root-signed enrollment, an operator
 * key, the lead config, and the secured nats-server config (nats-config.ts: nkeys, subject
 * permissions, TLS and leaf nodes when asked) with the lead's NATS login, and the API's TLS
 * certificate (self-signed by api-certificate.ts, or the one given; plain HTTP only with
 * --plain-http on loopback). Never overwrites without `force`.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Id, PROTOCOL_VERSION, issueEnrollment, keyId, publicKeyText, type KeyPair } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';
import { LeadConfigSchema, type LeadConfigInput } from '../config/index.js';
import { LeadError, describeError } from '../lib/errors.js';
import { isLoopbackHost } from '../api/api-transport.js';
import { makeApiCertificate } from './api-certificate.js';
import { LEAD_SEED_FILE, NATS_DIR, natsSetup } from './nats-config.js';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const NATS_DIR_MODE = 0o2750;
const DAY_MS = 86_400_000;
/** The lead's own enrollment; renew it with `mesh-lead init --force` or `mesh-lead enroll`. */
const LEAD_ENROLLMENT_DAYS = 3650;

export const INIT_FILES = {
  rootKey: 'root.key',
  leadKey: 'lead.key',
  leadEnrollment: 'lead.enrollment.json',
  operatorKey: 'operator.key',
  leadConfig: 'lead.json',
  dataDir: 'data',
  apiCert: 'api-tls/cert.pem',
  apiKey: 'api-tls/key.pem',
} as const;

export interface InitInput {
  dir: string;
  force: boolean;
  now: number;
  leadId?: string | undefined;
  clusterId?: string | undefined;
  operatorId?: string | undefined;
  /** host:port of the lead's API (default 127.0.0.1:8470). */
  http?: string | undefined;
  /** host:port nats-server listens on (default 127.0.0.1:4222). */
  nats?: string | undefined;
  /** The lead's data directory (its database); default DIR/data. A systemd service keeps it in /var/lib/mesh-lead. */
  dataDir?: string | undefined;
  /** Port for Pi-site gateways (NATS leaf nodes) on the same host; absent: none. */
  leafPort?: string | undefined;
  /** nats-server's TLS certificate and key (both or neither). */
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  /** The CA file clients verify nats-server's certificate with. */
  tlsCa?: string | undefined;
  /** The API's certificate and key, instead of a self-signed pair made here (both or neither). */
  apiCert?: string | undefined;
  apiKey?: string | undefined;
  /** More names (DNS or IP) the self-signed API certificate is for, besides the --http host, localhost and this host's name. */
  apiNames?: readonly string[] | undefined;
  /** No TLS for the API: http.allow_plain_http, refused unless the --http host is loopback. */
  plainHttp?: boolean | undefined;
  /**
   * Keep the root key off the lead: write it here instead of into DIR, and leave
   * trust.root_key_path out of the lead config (the operator signs enrollments).
   */
  rootKeyOut?: string | undefined;
}

export interface InitResult {
  dir: string;
  leadConfigPath: string;
  natsConfigPath: string;
  rootPublicKey: string;
  leadPublicKey: string;
  operatorPublicKey: string;
  /** What to print: the keys, an agent config to start from, and the next commands. */
  text: string;
}

export async function initLead(input: InitInput): Promise<InitResult> {
  const dir = resolve(input.dir);
  const leadId = checkedId(input.leadId ?? 'lead-1', 'lead-id');
  const clusterId = checkedId(input.clusterId ?? 'cluster-1', 'cluster');
  const operatorId = checkedId(input.operatorId ?? 'operator', 'operator');
  const http = hostPort(input.http ?? '127.0.0.1:8470', 'http');
  const natsAt = hostPort(input.nats ?? '127.0.0.1:4222', 'nats');
  const rootKeyPath = input.rootKeyOut === undefined ? join(dir, INIT_FILES.rootKey) : resolve(input.rootKeyOut);
  const rootOnLead = input.rootKeyOut === undefined;
  if ((input.tlsCert === undefined) !== (input.tlsKey === undefined)) throw new LeadError('USAGE', '--tls-cert and --tls-key go together');
  if ((input.apiCert === undefined) !== (input.apiKey === undefined)) throw new LeadError('USAGE', '--api-cert and --api-key go together');
  if (input.plainHttp === true && input.apiCert !== undefined) throw new LeadError('USAGE', '--plain-http and --api-cert exclude each other');
  if (input.plainHttp === true && !isLoopbackHost(http.host)) throw new LeadError('USAGE', `--plain-http needs a loopback --http host (got ${http.host}): the API serves plain HTTP only where no other machine can reach it`);
  const makeCert = input.plainHttp !== true && input.apiCert === undefined;
  const nats = natsSetup({
    dir,
    leadId,
    host: natsAt.host,
    port: natsAt.port,
    leafPort: input.leafPort === undefined ? undefined : portNumber(input.leafPort, 'leaf-port'),
    tls: input.tlsCert === undefined || input.tlsKey === undefined ? undefined : { cert: resolve(input.tlsCert), key: resolve(input.tlsKey) },
    caFile: input.tlsCa === undefined ? undefined : resolve(input.tlsCa),
  });
  const path = (name: string) => join(dir, name);
  const dataDir = input.dataDir === undefined ? path(INIT_FILES.dataDir) : resolve(input.dataDir);
  const written = [rootKeyPath, ...[INIT_FILES.leadKey, INIT_FILES.leadEnrollment, INIT_FILES.operatorKey, INIT_FILES.leadConfig, ...(makeCert ? [INIT_FILES.apiCert, INIT_FILES.apiKey] : []), ...nats.files.map((f) => f.name)].map(path)];

  if (!input.force) {
    const existing = (await Promise.all(written.map(async (file) => ((await exists(file)) ? file : undefined)))).filter((f) => f !== undefined);
    if (existing.length > 0) throw new LeadError('USAGE', `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing written (--force replaces them, and every identity in them)`);
  }
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    await chmod(dir, DIR_MODE);
    await mkdir(dataDir, { recursive: true, mode: DIR_MODE });
    if (makeCert) await mkdir(join(dir, 'api-tls'), { recursive: true, mode: DIR_MODE });
    // Group-readable (0750, setgid): docs/deploy.md gives it to group nats, for nats-server.
    await mkdir(nats.natsDir, { recursive: true, mode: NATS_DIR_MODE });
    await chmod(nats.natsDir, NATS_DIR_MODE);
  } catch (cause) {
    throw new LeadError('USAGE', `cannot create ${dir}: ${describeError(cause)}`, { cause });
  }

  const api = input.plainHttp === true ? undefined : await apiTls(input, path, http.host);
  const root = await newKey(rootKeyPath);
  const lead = await newKey(path(INIT_FILES.leadKey));
  const operator = await newKey(path(INIT_FILES.operatorKey));
  const rootText = publicKeyText(root.publicKey);
  const leadText = publicKeyText(lead.publicKey);
  const operatorText = publicKeyText(operator.publicKey);

  const enrollment = await issueEnrollment(nodeEd25519.signerSync(root.privateKey), {
    v: PROTOCOL_VERSION,
    agent_id: leadId,
    public_key: leadText,
    role: 'lead',
    class: 'A',
    capabilities: [],
    cluster_id: clusterId,
    issued_at: input.now,
    expires_at: input.now + LEAD_ENROLLMENT_DAYS * DAY_MS,
    issuer_key_id: await keyId(root.publicKey),
  });
  if (!enrollment.ok) throw new LeadError('INTERNAL', `cannot sign the lead's enrollment: ${enrollment.error.message}`);

  const config: LeadConfigInput = {
    lead_id: leadId,
    cluster_id: clusterId,
    key_path: path(INIT_FILES.leadKey),
    data_dir: dataDir,
    nats: nats.leadNats,
    trust: {
      root_public_keys: [rootText],
      lead_enrollment: path(INIT_FILES.leadEnrollment),
      ...(rootOnLead ? { root_key_path: rootKeyPath } : {}),
    },
    http: { host: http.host, port: http.port, ...(api === undefined ? { allow_plain_http: true } : { tls: { cert_path: api.certPath, key_path: api.keyPath } }) },
    api: { operators: [{ id: operatorId, public_key: operatorText, role: 'operator' }] },
  };
  // A config init wrote must load: a failure here is a bug, reported before anything is left half-done.
  const checked = LeadConfigSchema.safeParse(config);
  if (!checked.success) throw new LeadError('INTERNAL', `generated config does not validate: ${checked.error.issues[0]?.message ?? ''}`);

  await writePrivate(path(INIT_FILES.leadEnrollment), `${JSON.stringify(enrollment.value, null, 2)}\n`);
  await writePrivate(path(INIT_FILES.leadConfig), `${JSON.stringify(config, null, 2)}\n`);
  for (const file of nats.files) await writePrivate(path(file.name), file.content, file.mode);

  const apiUrl = `${api === undefined ? 'http' : 'https'}://${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}`;
  const trustFlag = api === undefined ? '' : ` --ca ${api.certPath}`;
  const agentConfig = { agent_id: '<this agent>', cluster_id: clusterId, lead_id: leadId, trust_roots: [rootText], nats: nats.agentNats };
  const text = `Wrote ${dir} (mode 0700; keys and configs 0600):
  ${INIT_FILES.leadConfig}            the lead's config
  ${NATS_DIR}/                   the broker's config (nats-server.conf, from fleet.json; mode 0640)
  ${LEAD_SEED_FILE}         the lead's NATS login (nkey seed)
  ${INIT_FILES.leadKey}, ${INIT_FILES.leadEnrollment}   the lead's key and its enrollment, signed by the root
  ${INIT_FILES.operatorKey}         operator "${operatorId}" of the management API
${api === undefined ? '  (no API certificate: --plain-http, the API serves plain HTTP on loopback only)' : `  ${api.made ? `${INIT_FILES.apiCert}, ${INIT_FILES.apiKey}  the API's self-signed certificate (${api.names.join(', ')}) and key` : `API certificate ${api.certPath}`}
    fingerprint (SHA-256) ${api.fingerprint}`}
${rootOnLead ? `  ${INIT_FILES.rootKey}             the mesh root key: the lead signs enrollments you accept with it` : `The mesh root key is in ${rootKeyPath}, not on the lead: keep it offline and pass it to \`mesh enroll accept --root-key\`.`}

Public keys:
  mesh root  ${rootText}
  lead       ${leadText}  (${leadId}, cluster ${clusterId})
  operator   ${operatorText}  (${operatorId})

Each agent's config needs (agent.json; the agent learns the lead's key from the root):
  ${JSON.stringify(agentConfig)}

Next:
  mesh-lead nats-user add <agent-id> --lead ${leadId} --dir ${nats.natsDir}   # each agent's NATS login
  ${nats.startCommand}
  mesh-lead run --config ${path(INIT_FILES.leadConfig)}
  mesh context add ${leadId} --lead ${apiUrl} --operator ${operatorId} --key ${path(INIT_FILES.operatorKey)}${trustFlag} --use
  mesh status
  mesh enrollments                # agents waiting to join
  mesh enroll accept <agent-id>${rootOnLead ? '' : ` --root-key ${rootKeyPath}`}
`;
  return { dir, leadConfigPath: path(INIT_FILES.leadConfig), natsConfigPath: nats.configPath, rootPublicKey: rootText, leadPublicKey: leadText, operatorPublicKey: operatorText, text };
}

/** The API's certificate: the one given, or a self-signed one made for the host names. */
async function apiTls(input: InitInput, path: (name: string) => string, host: string): Promise<{ certPath: string; keyPath: string; fingerprint: string; names: readonly string[]; made: boolean }> {
  if (input.apiCert !== undefined && input.apiKey !== undefined) {
    const certPath = resolve(input.apiCert);
    let fingerprint: string;
    try {
      fingerprint = new X509Certificate(await readFile(certPath)).fingerprint256;
    } catch (cause) {
      throw new LeadError('USAGE', `--api-cert ${certPath}: not a readable PEM certificate: ${describeError(cause)}`, { cause });
    }
    return { certPath, keyPath: resolve(input.apiKey), fingerprint, names: [], made: false };
  }
  const made = await makeApiCertificate({ certPath: path(INIT_FILES.apiCert), keyPath: path(INIT_FILES.apiKey), names: [host, ...(input.apiNames ?? []), 'localhost', '127.0.0.1', hostname()] });
  await chmod(made.keyPath, FILE_MODE);
  return { ...made, made: true };
}

async function newKey(file: string): Promise<KeyPair> {
  try {
    // Existing files were refused above unless --force.
    return await generateKeyFile(file, { overwrite: true });
  } catch (cause) {
    throw new LeadError('USAGE', `cannot write ${file}: ${describeError(cause)}`, { cause });
  }
}

async function writePrivate(file: string, content: string, mode = FILE_MODE): Promise<void> {
  try {
    await writeFile(file, content, { mode });
    // writeFile's mode applies only to a new file; a replaced one is narrowed here.
    await chmod(file, mode);
  } catch (cause) {
    throw new LeadError('USAGE', `cannot write ${file}: ${describeError(cause)}`, { cause });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

function checkedId(value: string, flag: string): string {
  if (!Id.safeParse(value).success) throw new LeadError('USAGE', `--${flag} must be 1-64 letters, digits, "_" or "-" (got "${value}")`);
  return value;
}

function portNumber(text: string, flag: string): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || !(port >= 1 && port <= 65_535)) throw new LeadError('USAGE', `--${flag} must be a port number (got "${text}")`);
  return port;
}

function hostPort(text: string, flag: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (match === null || !(port >= 1 && port <= 65_535)) throw new LeadError('USAGE', `--${flag} must be host:port, e.g. 127.0.0.1:4222 (got "${text}")`);
  return { host: match[1]!, port };
}
