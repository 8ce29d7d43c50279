import { describe, expect, it } from 'vitest';
import { readBodyLimited } from './read-body.js';

const post = (body: BodyInit, headers: Record<string, string> = {}) => new Request('https://edge.test/', { method: 'POST', body, headers });

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'none';
}

function streamOf(chunks: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ >= chunks) return controller.close();
      controller.enqueue(new Uint8Array(size).fill(7));
    },
  });
}

describe('readBodyLimited', () => {
  it('returns the exact bytes up to the limit', async () => {
    const bytes = await readBodyLimited(post(new Uint8Array(1024).fill(1)), 1024);
    expect(bytes.byteLength).toBe(1024);
    expect(bytes[1023]).toBe(1);
    expect((await readBodyLimited(post(streamOf(4, 100)), 400)).byteLength).toBe(400);
  });

  it('refuses a declared length over the limit without reading', async () => {
    expect(await code(readBodyLimited(post(new Uint8Array(1025)), 1024))).toBe('OVERSIZED');
  });

  it('refuses a stream once it passes the limit', async () => {
    expect(await code(readBodyLimited(post(streamOf(100, 100)), 1024))).toBe('OVERSIZED');
  });

  it('refuses a Content-Length that is not a byte count', async () => {
    // Request would set its own Content-Length, so this one is hand-made: headers and a body.
    const request = { headers: new Headers({ 'content-length': '-5' }), body: null } as unknown as Request;
    expect(await code(readBodyLimited(request, 1024))).toBe('BAD_CONTENT_LENGTH');
  });

  it('reads an empty body as no bytes', async () => {
    expect((await readBodyLimited(new Request('https://edge.test/', { method: 'POST' }), 10)).byteLength).toBe(0);
  });
});
