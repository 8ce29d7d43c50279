/**
 * A stand-in lead for tests inside workerd: signs PINGs and COORDINATEs with the test lead key
 * (made per run by vitest.config.ts), posts them to the Worker's own fetch handler and checks
 * what the Worker signs with its public key. Private to the edge-worker tests.
 */
import { env, exports } from 'cloudflare:workers';
import {
  PROTOCOL_VERSION,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  encodeMessage,
  fromBase64Url,
  newMessageId,
  payloadHash,
  toBase64Url,
  verifyAndParse,
  webCryptoEd25519,
  type Coordinate,
  type MessageKind,
  type MessageOf,
  type Ping,
  type SignedFrame,
  type Signer,
} from '@mesh30k/shared';
import { EDGE_ROUTES } from '../../src/http/routes.js';

interface TestBindings {
  AGENT_ID: string;
  CAPABILITIES: string;
  TEST_LEAD_ID: string;
  TEST_LEAD_PRIVATE_KEY: string;
  TEST_AGENT_PUBLIC_KEY: string;
}

export const bindings = env as unknown as TestBindings;
export const AGENT_ID = bindings.AGENT_ID;
export const LEAD_ID = bindings.TEST_LEAD_ID;
const ORIGIN = 'https://edge.test';

let leadSigner: Promise<Signer> | undefined;
const signer = (): Promise<Signer> => (leadSigner ??= webCryptoEd25519.signer(fromBase64Url(bindings.TEST_LEAD_PRIVATE_KEY)));

/** Signs any message as the test lead (or as `signerId`, to test signer checks). */
export async function sign(message: MessageOf<MessageKind>, signerId = LEAD_ID): Promise<SignedFrame> {
  return encodeMessage(message, await signer(), signerId);
}

/** Signs arbitrary bytes as the test lead: for bodies no encoder would produce. */
export async function signRaw(body: Uint8Array): Promise<SignedFrame> {
  return { body, signerId: LEAD_ID, signature: toBase64Url(await (await signer()).sign(body)) };
}

/** A signed frame whose bytes are replaced after signing (a tampered or hand-made body). */
export function withBody(frame: SignedFrame, body: string | Uint8Array): SignedFrame {
  return { ...frame, body: typeof body === 'string' ? new TextEncoder().encode(body) : body };
}

export function header(now = Date.now()) {
  return { v: PROTOCOL_VERSION, message_id: newMessageId(now), sender_id: LEAD_ID, created_at: now, ttl_ms: 30_000 } as const;
}

/**
 * A valid COORDINATE for this agent. Like the real lead, it states the Worker's clock offset
 * (0 here: the test and the Worker share a clock); `withClockOffset` states another, and
 * `{ compensation: undefined }` states none.
 */
export async function coordinate(overrides: Partial<Coordinate> = {}): Promise<Coordinate> {
  const now = Date.now();
  const payload = overrides.payload ?? { route: '/eu', weight: 1 };
  const message: Coordinate = {
    ...header(now),
    kind: 'COORDINATE',
    operation_id: `op-${Math.floor(Math.random() * 1e9)}`,
    verb: 'observe',
    payload,
    payload_hash: await payloadHash(payload),
    payload_weight: 1,
    target_time: now + 50,
    release_mode: 'lead',
    arrival_window_ms: 100,
    priority: 1,
    requires_capabilities: [],
    selector: { agent_ids: [AGENT_ID] },
    routing_strategy: 'scatter-gather',
    trinary_expectation: 1,
    ...overrides,
  };
  return 'compensation' in overrides ? message : withClockOffset(message, 0);
}

/**
 * Adds this agent's compensation entry with `clock_offset_ms` (mesh - Worker clock): the
 * member the lead must send (README.md). shared's Compensation does not name it yet, so it
 * rides as an extra member of the signed bytes.
 */
export function withClockOffset(message: Coordinate, offsetMs: number): Coordinate {
  const entry = { lead_time_ms: 0, expected_processing_ms: 0, confidence: 1, clock_offset_ms: offsetMs };
  return { ...message, compensation: { [AGENT_ID]: entry } };
}

export function ping(overrides: Partial<Ping> = {}): Ping {
  const now = Date.now();
  return { ...header(now), kind: 'PING', target_id: AGENT_ID, t1: now, ...overrides };
}

/** Posts a frame to the Worker as JSON; `headers` replaces the signature headers when given. */
export function post(path: string, frame: SignedFrame, headers?: Record<string, string>): Promise<Response> {
  return exports.default.fetch(
    new Request(`${ORIGIN}${path}`, {
      method: 'POST',
      body: frame.body as Uint8Array<ArrayBuffer>,
      headers: { 'content-type': 'application/json', ...(headers ?? { [SIGNER_HEADER]: frame.signerId, [SIGNATURE_HEADER]: frame.signature }) },
    }),
  );
}

export const postCoordinate = async (message: Coordinate): Promise<Response> => post(EDGE_ROUTES.coordinate.path, await sign(message));
export const postPing = async (message: Ping): Promise<Response> => post(EDGE_ROUTES.ping.path, await sign(message));

export function get(path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { method, headers }));
}

/** Verifies a signed answer with the Worker's public key, as the lead would, and returns it. */
export async function readSigned<K extends MessageKind>(response: Response, kind: K): Promise<MessageOf<K>> {
  const body = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`expected a signed ${kind}, got ${response.status}: ${new TextDecoder().decode(body)}`);
  const agentKey = fromBase64Url(bindings.TEST_AGENT_PUBLIC_KEY);
  const verified = await verifyAndParse(
    { body, signerId: response.headers.get(SIGNER_HEADER), signature: response.headers.get(SIGNATURE_HEADER) },
    {
      ed25519: webCryptoEd25519,
      accept: [kind],
      resolveKey: (id) => (id === AGENT_ID ? { ok: true, value: agentKey } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: id } }),
    },
  );
  if (!verified.ok) throw new Error(`the Worker's ${kind} does not verify: ${verified.error.code} ${verified.error.message}`);
  return verified.value.message as MessageOf<K>;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
}

export async function readProblem(response: Response): Promise<ProblemBody> {
  if (response.headers.get('content-type') !== 'application/problem+json') {
    throw new Error(`expected problem+json, got ${response.status} ${response.headers.get('content-type')}`);
  }
  return (await response.json());
}
