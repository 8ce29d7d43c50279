import { execFile } from 'node:child_process';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/harness/index.js';
import type { TempDir } from '../../../../test/harness/index.js';
import { LogEvent, createLogger, domainLogger, isJournalStream, syslogPriority } from './index.js';

const run = promisify(execFile);

class Lines {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  json(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('mesh30k-logging-');
});
afterAll(() => dir.dispose());

describe('createLogger', () => {
  it('writes JSON with level labels, base ids and domain children', () => {
    const out = new Lines();
    const logger = createLogger({ level: 'info', base: { agent_id: 'pi-1', cluster_id: 'c1' }, destination: out, journald: false });
    domainLogger(logger, 'outbox', { operation_id: 'op-9' }).warn({ event: LogEvent.OUTBOX_DROPPED, count: 3 }, 'dropped');
    logger.debug('not at this level');
    const [line] = out.json();
    expect(out.lines).toHaveLength(1);
    expect(line).toMatchObject({
      level: 'warn',
      agent_id: 'pi-1',
      cluster_id: 'c1',
      domain: 'outbox',
      operation_id: 'op-9',
      event: 'outbox.dropped',
      count: 3,
      msg: 'dropped',
    });
  });

  it('prefixes each line with its syslog priority for journald', () => {
    const out = new Lines();
    const logger = createLogger({ level: 'trace', destination: out, journald: true });
    logger.fatal('f');
    logger.error(new Error('boom'), 'e');
    domainLogger(logger, 'x').warn('w');
    logger.info('i');
    logger.debug('d');
    expect(out.lines.map((line) => line.slice(0, 3))).toEqual(['<2>', '<3>', '<4>', '<6>', '<7>']);
    const error = JSON.parse(out.lines[1]!.slice(3)) as { err: { message: string }; level: string };
    expect(error.level).toBe('error');
    expect(error.err.message).toBe('boom');
  });

  it('maps pino levels to syslog priorities', () => {
    expect([60, 50, 40, 30, 20, 10].map(syslogPriority)).toEqual([2, 3, 4, 6, 7, 7]);
  });

  it('loses no line when the process is killed right after logging (as the watchdog does)', async () => {
    const script = join(dir.path, 'burst.ts');
    const loggerUrl = new URL('./logger.js', import.meta.url).href.replace(/\.js$/, '.ts');
    await writeFile(
      script,
      `import { createLogger } from ${JSON.stringify(loggerUrl)};
const logger = createLogger({ level: 'info', base: { agent_id: 'pi-x' }, journald: false });
for (let i = 0; i < 2000; i += 1) logger.error({ i }, 'line');
process.kill(process.pid, 'SIGKILL');
`,
    );
    const child = run(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), maxBuffer: 64 * 1024 * 1024 });
    const failed = await child.then(
      () => undefined,
      (error: unknown) => error as { signal: string; stdout: string },
    );
    expect(failed?.signal).toBe('SIGKILL');
    const lines = failed!.stdout.trim().split('\n');
    expect(lines).toHaveLength(2000);
    expect(JSON.parse(lines[1999]!)).toMatchObject({ i: 1999, agent_id: 'pi-x', level: 'error' });
  });
});

describe('isJournalStream', () => {
  it('is true only when JOURNAL_STREAM names the device and inode of the descriptor', () => {
    const fd = openSync(join(dir.path, 'stream'), 'w');
    try {
      const info = fstatSync(fd, { bigint: true });
      expect(isJournalStream({ JOURNAL_STREAM: `${info.dev}:${info.ino}` }, fd)).toBe(true);
      expect(isJournalStream({ JOURNAL_STREAM: `${info.dev}:${info.ino + 1n}` }, fd)).toBe(false);
      expect(isJournalStream({ JOURNAL_STREAM: 'garbage' }, fd)).toBe(false);
      expect(isJournalStream({}, fd)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });
});
