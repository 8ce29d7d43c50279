import { SIGNATURE_HEADER, SIGNER_HEADER, encodeMessage, type MeshMessage } from '@mesh30k/shared';
import type { Runtime } from '../runtime/runtime.js';

/** Signs a message as this agent and sends exactly the signed bytes, signature beside them. */
export async function signedResponse(message: MeshMessage, runtime: Runtime, status = 200): Promise<Response> {
  const frame = await encodeMessage(message, runtime.keys.signer, runtime.config.agentId);
  return new Response(arrayBacked(frame.body), {
    status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      [SIGNER_HEADER]: frame.signerId,
      [SIGNATURE_HEADER]: frame.signature,
    },
  });
}

/** Response wants bytes on a plain ArrayBuffer; encodeMessage's TextEncoder output already is. */
function arrayBacked(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
