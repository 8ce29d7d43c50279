import { EdgeError } from './errors.js';

/**
 * Reads a request body as bytes, refusing it as OVERSIZED before reading it all: a declared
 * Content-Length over the limit is refused without touching the stream, and a body without
 * one (chunked) is cancelled as soon as the running total passes the limit.
 */
export async function readBodyLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    if (!/^\d{1,15}$/.test(declared)) throw new EdgeError('BAD_CONTENT_LENGTH', 'Content-Length is not a byte count');
    if (Number(declared) > maxBytes) throw oversized(`${declared} bytes`, maxBytes);
  }
  if (request.body === null) return new Uint8Array(0);

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw oversized(`more than ${maxBytes} bytes`, maxBytes);
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

function oversized(size: string, maxBytes: number): EdgeError {
  return new EdgeError('OVERSIZED', `request body is ${size}; the limit is ${maxBytes}`);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
