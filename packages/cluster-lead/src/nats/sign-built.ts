/**
 * Signs a message the lead built itself, synchronously and without re-validating it against
 * its zod schema: the fields come from the lead's own state (typed), not from input, so the
 * schema pass (tens of µs per heartbeat reply) would check nothing that can be wrong at run
 * time. Tests check that what is built here passes the schema (heartbeat-ingest.test.ts).
 * Everything built from untrusted input still goes through encodeMessage.
 */
import { MeshError, WIRE_LIMITS, toBase64Url, type MeshMessage, type SignedFrame } from '@mesh30k/shared';
import type { NodeSigner } from '@mesh30k/shared/node';

const encoder = new TextEncoder();

export function signBuilt(message: MeshMessage, signer: NodeSigner, signerId: string): SignedFrame {
  const body = encoder.encode(JSON.stringify(message));
  if (body.byteLength > WIRE_LIMITS.maxFrameBytes) {
    throw new MeshError('OVERSIZED', `refusing to send a ${message.kind} of ${body.byteLength} bytes; the wire limit is ${WIRE_LIMITS.maxFrameBytes} (maxFrameBytes)`);
  }
  return { body, signerId, signature: toBase64Url(signer.signSync(body)) };
}
