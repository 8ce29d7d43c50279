import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { SampledLog } from './sampled-log.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level: 'info', leadId: 'lead-1', clusterId: 'cluster-1', destination });
  return { lines, logger };
}

describe('SampledLog', () => {
  it('writes the first lines in full, counts the rest by key, and summarises them when the window ends', () => {
    const { lines, logger } = capture();
    const log = new SampledLog(logger, { first: 3, windowMs: 60_000, summaryEvent: 'x.summary', summaryMessage: 'refusals' });
    for (let i = 0; i < 100; i++) log.warn(i % 2 === 0 ? 'A' : 'B', { n: i }, 'refused');
    expect(lines).toHaveLength(3);
    log.flush();
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ event: 'x.summary', total: 97, suppressed: { A: 48, B: 49 } });
    // A new window writes in full again; an empty window writes no summary.
    log.warn('A', {}, 'refused');
    expect(lines).toHaveLength(5);
    log.flush();
    expect(lines).toHaveLength(5);
  });
});
