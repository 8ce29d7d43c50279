import type { MeshMessage, MessageKind, WireRefusal } from '@mesh30k/shared';

/**
 * Messages between the verify pool and its workers. One request carries a batch: all bodies
 * packed into one transferred buffer (no copy), with their offsets. The main thread resolves
 * keys (the trust store lives there) and sends the key bytes, or the refusal, per item.
 */
export interface VerifyBatchRequest {
  id: number;
  buffer: ArrayBuffer;
  items: VerifyItem[];
  accept: readonly MessageKind[];
  maxBytes: number | undefined;
}

export interface VerifyItem {
  offset: number;
  length: number;
  signerId: string | null;
  signature: string | null;
  keys: Uint8Array[] | null;
  refusal: WireRefusal | null;
  /** Wall-clock ms (Date.now) past which the worker skips the frame unverified: its sender stopped waiting. */
  deadline: number | null;
}

export type VerifyItemResult = { ok: true; message: MeshMessage; signerId: string } | { ok: false; error: WireRefusal } | { ok: false; expired: true };

export interface VerifyBatchReply {
  id: number;
  results: VerifyItemResult[];
}

/** Posted once by a worker when its modules are loaded and it can take batches. */
export interface WorkerReady {
  ready: true;
}

export type WorkerMessage = VerifyBatchReply | WorkerReady;
