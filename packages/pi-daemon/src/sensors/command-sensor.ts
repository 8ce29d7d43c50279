/**
 * A `command` sensor: runs the configured executable directly (execFile, no shell), with a
 * timeout and a bounded output, and reads exactly one JSON value (number, boolean, string or
 * null) from its stdout. Anything else is an error reading, never a guess.
 */
import { execFile } from 'node:child_process';
import { SensorValue } from '@mesh30k/shared';

const MAX_OUTPUT_BYTES = 64 * 1024;

export type CommandResult = { ok: true; value: SensorValue } | { ok: false; code: 'TIMEOUT' | 'FAILED' | 'NOT_JSON' | 'BAD_VALUE'; message: string };

export function runCommandSensor(command: string, args: readonly string[], timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: MAX_OUTPUT_BYTES, shell: false, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error !== null) {
        const timedOut = (error as { killed?: boolean }).killed === true && error.signal === 'SIGKILL';
        if (timedOut) return resolve({ ok: false, code: 'TIMEOUT', message: `${command}: no answer within ${timeoutMs} ms` });
        const why = stderr.trim().split('\n').at(-1) || error.message;
        return resolve({ ok: false, code: 'FAILED', message: `${command}: ${why}`.slice(0, 512) });
      }
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        return resolve({ ok: false, code: 'NOT_JSON', message: `${command}: stdout is not one JSON value` });
      }
      const parsed = SensorValue.safeParse(json);
      if (!parsed.success) return resolve({ ok: false, code: 'BAD_VALUE', message: `${command}: must print a number, boolean, string (<= 256) or null` });
      resolve({ ok: true, value: parsed.data });
    });
  });
}
