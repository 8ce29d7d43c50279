import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { attachDashValues } from './cli-args.js';

const FLAGS = {
  'lead-key': { type: 'string' },
  count: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[]) {
  return parseArgs({ args: attachDashValues(argv, FLAGS), options: FLAGS, strict: true }).values;
}

describe('attachDashValues', () => {
  it('lets a string flag take a value that begins with a dash', () => {
    expect(() => parseArgs({ args: ['--lead-key', '-Abc_1'], options: FLAGS, strict: true })).toThrow(/ambiguous/);
    expect(parse(['--lead-key', '-Abc_1', '--count', '3'])).toEqual({ 'lead-key': '-Abc_1', count: '3' });
    expect(parse(['--lead-key', '--x9'])).toEqual({ 'lead-key': '--x9' });
  });

  it('leaves a following known flag alone, so a missing value is still an error', () => {
    expect(attachDashValues(['--lead-key', '--count', '3'], FLAGS)).toEqual(['--lead-key', '--count', '3']);
    expect(attachDashValues(['--lead-key', '-n', '3'], FLAGS)).toEqual(['--lead-key', '-n', '3']);
    expect(attachDashValues(['--lead-key', '-h'], FLAGS)).toEqual(['--lead-key', '-h']);
    expect(() => parse(['--lead-key', '--count', '3'])).toThrow();
  });

  it('does not touch boolean flags, values given with = or ordinary values', () => {
    expect(attachDashValues(['--help', '-x'], FLAGS)).toEqual(['--help', '-x']);
    expect(attachDashValues(['--lead-key=-a', '--count', '7'], FLAGS)).toEqual(['--lead-key=-a', '--count', '7']);
  });
});
