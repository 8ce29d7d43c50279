/**
 * A verify worker thread: runs shared's verifyAndParse with node:crypto's synchronous verify
 * on each frame of a batch, with the keys the main thread resolved, and answers the batch.
 */
import { parentPort } from 'node:worker_threads';
import { err, ok, verifyAndParse } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { VerifyBatchReply, VerifyBatchRequest, VerifyItem, VerifyItemResult, WorkerReady } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('verify-worker must run in a worker thread');

async function verifyItem(request: VerifyBatchRequest, bytes: Uint8Array, item: VerifyItem): Promise<VerifyItemResult> {
  const result = await verifyAndParse(
    { body: bytes.subarray(item.offset, item.offset + item.length), signerId: item.signerId, signature: item.signature },
    {
      ed25519: nodeEd25519,
      resolveKey: () => (item.keys !== null ? ok(item.keys) : err(item.refusal ?? { code: 'UNKNOWN_SIGNER', message: 'no key' })),
      accept: request.accept,
      ...(request.maxBytes === undefined ? {} : { maxBytes: request.maxBytes }),
    },
  );
  return result.ok ? { ok: true, message: result.value.message, signerId: result.value.signerId } : { ok: false, error: result.error };
}

port.postMessage({ ready: true } satisfies WorkerReady);

port.on('message', (request: VerifyBatchRequest) => {
  const bytes = new Uint8Array(request.buffer);
  void (async () => {
    const results: VerifyItemResult[] = [];
    for (const item of request.items) {
      // A frame that waited in this worker's queue past its deadline is not worth a verify.
      if (item.deadline !== null && Date.now() > item.deadline) results.push({ ok: false, expired: true });
      else results.push(await verifyItem(request, bytes, item));
    }
    const reply: VerifyBatchReply = { id: request.id, results };
    port.postMessage(reply);
  })();
});
