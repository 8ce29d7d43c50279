import { SIGNATURE_HEADER, SIGNER_HEADER, verifyAndParse, type MessageKind, type MessageOf } from '@mesh30k/shared';
import type { Runtime } from '../runtime/runtime.js';
import { EdgeError, fromWireRefusal } from './errors.js';
import { readBodyLimited } from './read-body.js';

export interface SignedRequest<K extends MessageKind> {
  message: MessageOf<K>;
  signerId: string;
  /** The exact bytes that were verified. */
  body: Uint8Array;
}

/**
 * Reads a signed request of one kind: body bytes under the size limit, signature over those
 * exact bytes with the headers beside them, and only then JSON and the schema. Replay is
 * checked afterwards by the agent's Durable Object, which is the only place that can see
 * every id. Throws EdgeError with the wire's refusal code.
 */
export async function readSignedRequest<K extends MessageKind>(request: Request, kind: K, runtime: Runtime): Promise<SignedRequest<K>> {
  const { config, keys } = runtime;
  const body = await readBodyLimited(request, config.maxBodyBytes);
  const verified = await verifyAndParse(
    { body, signerId: request.headers.get(SIGNER_HEADER), signature: request.headers.get(SIGNATURE_HEADER) },
    { ed25519: keys.ed25519, resolveKey: keys.resolveKey, accept: [kind], maxBytes: config.maxBodyBytes },
  );
  if (!verified.ok) throw fromWireRefusal(verified.error);
  const { message, signerId } = verified.value;
  if (message.kind !== kind) throw new EdgeError('UNKNOWN_KIND', `${message.kind} is not accepted here`);
  return { message: message as MessageOf<K>, signerId, body };
}
