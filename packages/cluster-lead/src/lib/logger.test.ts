import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function sink(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, stream };
}

describe('the lead logger', () => {
  it('prefixes each line with the syslog priority of its level for journald', () => {
    const { lines, stream } = sink();
    const logger = createLogger({ level: 'debug', leadId: 'lead-1', clusterId: 'c-1', destination: stream, journald: true });
    logger.fatal('f');
    logger.error('e');
    logger.warn('w');
    logger.info('i');
    logger.debug('d');
    expect(lines.map((line) => line.slice(0, 3))).toEqual(['<2>', '<3>', '<4>', '<6>', '<7>']);
    expect(JSON.parse(lines[1]!.slice(3))).toMatchObject({ msg: 'e', lead_id: 'lead-1', lead_cluster_id: 'c-1' });
  });

  it('writes plain JSON lines when stdout is not the journal', () => {
    const { lines, stream } = sink();
    createLogger({ level: 'info', leadId: 'lead-1', clusterId: 'c-1', destination: stream, env: { JOURNAL_STREAM: '0:0' } }).error('e');
    expect(lines[0]?.startsWith('{')).toBe(true);
  });
});
