import { SIGNATURE_HEADER, SIGNER_HEADER } from '@mesh30k/shared';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { EDGE_ROUTES } from '../src/http/routes.js';
import { coordinate, header, ping, post, readProblem, readSigned, sign, signRaw, withBody } from './support/lead.js';

const PATH = EDGE_ROUTES.coordinate.path;

async function refusal(response: Response): Promise<{ status: number; code: string }> {
  const problem = await readProblem(response);
  return { status: problem.status, code: problem.code };
}

describe('POST /v1/coordinate: what is verified before anything is acted on', () => {
  it('accepts a COORDINATE signed by a trusted lead', async () => {
    const ack = await readSigned(await post(PATH, await sign(await coordinate())), 'ACK');
    expect(ack.trinary_state).toBe(1);
  });

  it('refuses a bad signature (bytes changed after signing)', async () => {
    const frame = await sign(await coordinate());
    const tampered = withBody(frame, new TextDecoder().decode(frame.body).replace('"priority":1', '"priority":3'));
    expect(await refusal(await post(PATH, tampered))).toEqual({ status: 401, code: 'BAD_SIGNATURE' });
  });

  it('refuses a signature that is not 64 bytes of base64url', async () => {
    const frame = await sign(await coordinate());
    expect(await refusal(await post(PATH, { ...frame, signature: 'not*base64' }))).toEqual({ status: 401, code: 'BAD_SIGNATURE' });
  });

  it('refuses an unsigned request, with either header missing', async () => {
    const frame = await sign(await coordinate());
    expect(await refusal(await post(PATH, frame, { [SIGNER_HEADER]: frame.signerId }))).toEqual({ status: 401, code: 'UNSIGNED' });
    expect(await refusal(await post(PATH, frame, { [SIGNATURE_HEADER]: frame.signature }))).toEqual({ status: 401, code: 'UNSIGNED' });
  });

  it('refuses a signer it does not trust', async () => {
    const frame = await sign({ ...(await coordinate()), sender_id: 'lead-stranger' }, 'lead-stranger');
    expect(await refusal(await post(PATH, frame))).toEqual({ status: 401, code: 'UNKNOWN_SIGNER' });
  });

  it('refuses a replayed COORDINATE', async () => {
    const frame = await sign(await coordinate());
    expect((await post(PATH, frame)).status).toBe(200);
    expect(await refusal(await post(PATH, frame))).toEqual({ status: 409, code: 'REPLAYED' });
  });

  it('refuses an expired COORDINATE and one from the future', async () => {
    const old = Date.now() - 60_000;
    expect(await refusal(await post(PATH, await sign(await coordinate({ ...header(old), target_time: old + 50 })))))
      .toEqual({ status: 422, code: 'EXPIRED' });
    const ttlSpent = Date.now() - 1_500;
    expect(await refusal(await post(PATH, await sign(await coordinate({ ...header(ttlSpent), ttl_ms: 1_000 })))))
      .toEqual({ status: 422, code: 'EXPIRED' });
    const future = Date.now() + 60_000;
    expect(await refusal(await post(PATH, await sign(await coordinate({ ...header(future), target_time: future + 50 })))))
      .toEqual({ status: 422, code: 'FROM_THE_FUTURE' });
  });

  it('refuses malformed JSON even when its signature is good', async () => {
    const garbage = await signRaw(new TextEncoder().encode('{"kind":"COORDINATE",'));
    expect(await refusal(await post(PATH, garbage))).toEqual({ status: 400, code: 'MALFORMED_JSON' });
  });

  it('refuses a well-signed message of the wrong kind', async () => {
    expect(await refusal(await post(PATH, await sign(ping())))).toEqual({ status: 400, code: 'UNKNOWN_KIND' });
  });

  it('refuses a COORDINATE whose fields break the schema: 422 when its head is unreadable, a TRANSIT ACK (FRAME_REFUSED) when it is the lead\'s and names the operation', async () => {
    const headless = { ...(await coordinate()), operation_id: 'not an id!' };
    expect(await refusal(await post(PATH, await signRaw(new TextEncoder().encode(JSON.stringify(headless)))))).toEqual({ status: 422, code: 'INVALID_FIELDS' });
    const bad = { ...(await coordinate()), payload_hash: 'nothex' };
    const answer = await post(PATH, await signRaw(new TextEncoder().encode(JSON.stringify(bad))));
    expect(answer.status).toBe(200);
    expect(JSON.parse(await answer.text())).toMatchObject({ kind: 'ACK', trinary_state: 0, refusal: { code: 'FRAME_REFUSED' } });
  });

  it('refuses a body over the limit by its Content-Length, before reading it', async () => {
    const frame = await sign(await coordinate());
    const big = withBody(frame, new Uint8Array(64 * 1024 + 1));
    expect(await refusal(await post(PATH, big))).toEqual({ status: 413, code: 'OVERSIZED' });
  });

  it('refuses a streamed body (no Content-Length) once it passes the limit', async () => {
    const frame = await sign(await coordinate());
    let sent = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (cancelled) return;
        if (sent >= 1024 * 1024) return controller.close();
        sent += 16 * 1024;
        controller.enqueue(new Uint8Array(16 * 1024));
      },
      cancel() {
        cancelled = true;
      },
    });
    // Straight into the app, so the stream is ours to see cancelled (no socket in between).
    const response = await createApp().request(
      PATH,
      { method: 'POST', body: stream, headers: { 'content-type': 'application/json', [SIGNER_HEADER]: frame.signerId, [SIGNATURE_HEADER]: frame.signature } },
      env,
    );
    expect(await refusal(response)).toEqual({ status: 413, code: 'OVERSIZED' });
    expect(sent).toBeLessThan(1024 * 1024);
    expect(cancelled).toBe(true);
  });
});
