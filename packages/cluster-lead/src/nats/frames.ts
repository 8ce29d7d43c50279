import { SIGNATURE_HEADER, SIGNER_HEADER, type IncomingFrame, type SignedFrame } from '@mesh30k/shared';
import { headers, type Msg, type MsgHdrs } from 'nats';

/** The frame as it arrived: the exact bytes, and the signer and signature headers beside them. */
export function frameOf(msg: Msg): IncomingFrame {
  return {
    body: msg.data,
    signerId: msg.headers?.get(SIGNER_HEADER) || null,
    signature: msg.headers?.get(SIGNATURE_HEADER) || null,
  };
}

/** NATS headers carrying a signed frame's signer and signature. */
export function frameHeaders(frame: SignedFrame): MsgHdrs {
  const h = headers();
  h.set(SIGNER_HEADER, frame.signerId);
  h.set(SIGNATURE_HEADER, frame.signature);
  return h;
}
