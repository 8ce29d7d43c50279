/**
 * A COORDINATE the Worker would refuse for its content (an unknown verb, a field failing the
 * schema) may still be authentic work from the lead that this Worker cannot run. Answered with
 * a signed TRANSIT ACK naming why (shared TRANSIT_REFUSAL) instead of an HTTP problem, so the
 * lead records "cannot run here", not a failure of the agent (docs/protocol.md). A body over
 * the limit is still refused (413) before it is read: that defence is worth more here, and the
 * lead's own limit keeps it from sending one.
 */
import { SIGNATURE_HEADER, SIGNER_HEADER, readUnrunnableCoordinate, verifyAndParse, type Coordinate, type UnrunnableCoordinate } from '@mesh30k/shared';
import { fromWireRefusal } from '../http/errors.js';
import { readBodyLimited } from '../http/read-body.js';
import type { Runtime } from '../runtime/runtime.js';

/** The refusal that may hide an authentic COORDINATE; any other means bytes not the lead's. */
const SALVAGEABLE = 'INVALID_FIELDS';

export type CoordinateRead = { readonly kind: 'runnable'; readonly message: Coordinate } | { readonly kind: 'unrunnable'; readonly read: UnrunnableCoordinate };

/** Reads POST /v1/coordinate's body: a COORDINATE to run, one to answer as unrunnable, or throws the refusal. */
export async function readCoordinate(request: Request, runtime: Runtime): Promise<CoordinateRead> {
  const { config, keys } = runtime;
  const body = await readBodyLimited(request, config.maxBodyBytes);
  const frame = { body, signerId: request.headers.get(SIGNER_HEADER), signature: request.headers.get(SIGNATURE_HEADER) };
  const verified = await verifyAndParse(frame, { ed25519: keys.ed25519, resolveKey: keys.resolveKey, accept: ['COORDINATE'], maxBytes: config.maxBodyBytes });
  if (verified.ok) return { kind: 'runnable', message: verified.value.message as Coordinate };
  if (verified.error.code === SALVAGEABLE) {
    const read = await readUnrunnableCoordinate(frame, { ed25519: keys.ed25519, resolveKey: keys.resolveKey, maxBytes: config.maxBodyBytes, hardMaxBytes: config.maxBodyBytes });
    if (read !== null) return { kind: 'unrunnable', read };
  }
  throw fromWireRefusal(verified.error);
}
