/**
 * `mesh-agent keygen`: a new Ed25519 key pair for this agent (private key file mode 0600,
 * written atomically, never over an existing key unless asked) and an enrollment request
 * signed by it, for the operator to turn into an enrollment with the mesh root key.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EnrollmentRequest, MeshError, PROTOCOL_VERSION, createEnrollmentRequest, publicKeyText } from '@mesh30k/shared';
import type { AgentClass, Role, SignedRecord } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';

const KEY_DIR_MODE = 0o700;

export interface KeygenOptions {
  keyPath: string;
  agentId: string;
  class: AgentClass;
  capabilities: readonly string[];
  clusterId: string;
  sectorId?: string;
  /** What the key asks to act as; agents ask for 'agent'. */
  role?: Role;
  /** Replace an existing key file (the old identity is lost). */
  overwrite?: boolean;
  /** Wall clock for created_at. */
  now?: () => number;
}

export interface KeygenResult {
  keyPath: string;
  /** The new public key, canonical base64url. */
  publicKey: string;
  request: EnrollmentRequest;
  signed: SignedRecord;
  /** What to print: JSON with the public key and the signed request, ending in a newline. */
  text: string;
}

const RequestWithoutKey = EnrollmentRequest.omit({ public_key: true });

/**
 * Throws MeshError: INVALID_FIELDS (naming the field) before any file is written when the
 * identity is not one the mesh accepts; INVALID_ARGUMENT when the key file exists and
 * `overwrite` is not set; BAD_KEY-class errors from the file system as shared reports them.
 */
export async function keygen(options: KeygenOptions): Promise<KeygenResult> {
  const asked = {
    v: PROTOCOL_VERSION,
    agent_id: options.agentId,
    role: options.role ?? 'agent',
    class: options.class,
    capabilities: [...options.capabilities],
    cluster_id: options.clusterId,
    ...(options.sectorId === undefined ? {} : { sector_id: options.sectorId }),
    created_at: (options.now ?? Date.now)(),
  };
  const checked = RequestWithoutKey.safeParse(asked);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    throw new MeshError('INVALID_FIELDS', `keygen: ${path}: ${issue?.message ?? 'invalid'}`, { path, cause: checked.error });
  }

  await mkdir(dirname(options.keyPath), { recursive: true, mode: KEY_DIR_MODE });
  const keyPair = await generateKeyFile(options.keyPath, { overwrite: options.overwrite ?? false });
  const publicKey = publicKeyText(keyPair.publicKey);
  const request: EnrollmentRequest = { ...checked.data, public_key: publicKey };
  const signed = await createEnrollmentRequest(await nodeEd25519.signer(keyPair.privateKey), request);
  if (!signed.ok) throw signed.error;
  const text = `${JSON.stringify({ key_path: options.keyPath, public_key: publicKey, enrollment_request: signed.value }, null, 2)}\n`;
  return { keyPath: options.keyPath, publicKey, request, signed: signed.value, text };
}
