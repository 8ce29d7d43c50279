/** Asks a running daemon for its status (what `mesh-agent status` does). */
import { request } from 'node:http';
import { AgentStatus, STATUS_PATH } from './status-schema.js';

export type StatusErrorCode =
  /** Nothing answered: the daemon is not running, or listens elsewhere. */
  | 'STATUS_UNREACHABLE'
  /** Something answered, too slowly. */
  | 'STATUS_TIMEOUT'
  /** The answer was not a status (wrong status code, not JSON, wrong shape). */
  | 'STATUS_BAD_RESPONSE';

export class StatusError extends Error {
  override readonly name = 'StatusError';
  constructor(
    readonly code: StatusErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A status answer is a few kilobytes. */
const MAX_BODY_BYTES = 256 * 1024;
const HTTP_OK = 200;

export function fetchStatus(host: string, port: number, timeoutMs: number): Promise<AgentStatus> {
  const where = `http://${host.includes(':') ? `[${host}]` : host}:${port}${STATUS_PATH}`;
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: STATUS_PATH, method: 'GET', timeout: timeoutMs, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new StatusError('STATUS_BAD_RESPONSE', `${where}: answer larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== HTTP_OK) {
          reject(new StatusError('STATUS_BAD_RESPONSE', `${where} answered ${res.statusCode}: ${text.slice(0, 200)}`));
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (error) {
          reject(new StatusError('STATUS_BAD_RESPONSE', `${where} answered something that is not JSON`, { cause: error }));
          return;
        }
        const parsed = AgentStatus.safeParse(json);
        if (parsed.success) resolve(parsed.data);
        else {
          const issue = parsed.error.issues[0];
          reject(new StatusError('STATUS_BAD_RESPONSE', `${where} answered an unexpected status: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`, { cause: parsed.error }));
        }
      });
      res.on('error', (error) => reject(new StatusError('STATUS_BAD_RESPONSE', `${where}: ${error.message}`, { cause: error })));
    });
    req.on('timeout', () => req.destroy(new StatusError('STATUS_TIMEOUT', `${where} did not answer within ${timeoutMs} ms`)));
    req.on('error', (error) => {
      if (error instanceof StatusError) reject(error);
      else reject(new StatusError('STATUS_UNREACHABLE', `cannot reach the agent at ${where} (is mesh-agent running?): ${error.message}`, { cause: error }));
    });
    req.end();
  });
}
