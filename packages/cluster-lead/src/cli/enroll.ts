import { readFile, writeFile } from 'node:fs/promises';
import { AgentClass, Capabilities, Id, Role, verifyEnrollmentRequest, type SignedRecord } from '@mesh30k/shared';
import { loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import type { z } from 'zod';
import { LeadError, describeError } from '../lib/errors.js';
import { DEFAULT_ENROLLMENT_DAYS, MAX_ENROLLMENT_DAYS, signRequest } from '../trust/index.js';

export interface EnrollInput {
  rootKeyPath: string;
  /** The request's JSON text (an agent's signed enrollment request, or keygen's whole output). */
  requestText: string;
  now: number;
  expiresDays?: string | undefined;
  agentClass?: string | undefined;
  capabilities?: string | undefined;
  cluster?: string | undefined;
  sector?: string | undefined;
  role?: string | undefined;
}

/**
 * Signs an enrollment for a verified request with a mesh root key: the operator's side of
 * enrollment. What the agent asked for may be narrowed or changed by the flags; the result is
 * validated by shared's issueEnrollment before it is signed.
 */
export async function signEnrollment(input: EnrollInput): Promise<SignedRecord> {
  let root;
  try {
    root = await loadKeyPair(input.rootKeyPath);
  } catch (cause) {
    throw new LeadError('KEY_UNREADABLE', `root key ${input.rootKeyPath}: ${describeError(cause)}`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(input.requestText);
  } catch (cause) {
    throw new LeadError('ENROLLMENT_INVALID', `enrollment request is not JSON: ${describeError(cause)}`, { cause });
  }
  const request = await verifyEnrollmentRequest(nodeEd25519, requestOf(raw));
  if (!request.ok) throw new LeadError('ENROLLMENT_INVALID', `enrollment request refused (${request.error.code}): ${request.error.message}`);

  const days = input.expiresDays === undefined ? DEFAULT_ENROLLMENT_DAYS : Number(input.expiresDays);
  if (!(Number.isFinite(days) && days > 0 && days <= MAX_ENROLLMENT_DAYS)) {
    throw new LeadError('USAGE', `--expires-days must be a number of days in (0, ${MAX_ENROLLMENT_DAYS}]`);
  }
  const signed = await signRequest(root, request.value, input.now, {
    expiresDays: days,
    agentClass: checked(AgentClass, input.agentClass, 'class'),
    capabilities: checked(Capabilities, input.capabilities?.split(',').map((c) => c.trim()).filter((c) => c !== ''), 'capabilities'),
    clusterId: checked(Id, input.cluster, 'cluster'),
    sectorId: checked(Id, input.sector, 'sector'),
    role: checked(Role, input.role, 'role'),
  });
  if (!signed.ok) throw new LeadError('ENROLLMENT_INVALID', `cannot issue enrollment: ${signed.error.message}`);
  return signed.value;
}

/** The signed request itself, or `mesh-agent keygen`'s output, which carries it as enrollment_request. */
export function requestOf(raw: unknown): unknown {
  const inner = (raw as { enrollment_request?: unknown } | null)?.enrollment_request;
  return inner ?? raw;
}

export async function readRequestText(path: string): Promise<string> {
  try {
    return path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (cause) {
    throw new LeadError('ENROLLMENT_INVALID', `cannot read enrollment request ${path}: ${describeError(cause)}`, { cause });
  }
}

/** Writes the enrollment; refuses to overwrite an existing file. */
export async function writeEnrollment(path: string, signed: SignedRecord): Promise<void> {
  try {
    await writeFile(path, `${JSON.stringify(signed, null, 2)}\n`, { flag: 'wx', mode: 0o644 });
  } catch (cause) {
    throw new LeadError('USAGE', `cannot write ${path}: ${describeError(cause)}`, { cause });
  }
}

function checked<S extends z.ZodType>(schema: S, value: unknown, name: string): z.infer<S> | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new LeadError('USAGE', `--${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
