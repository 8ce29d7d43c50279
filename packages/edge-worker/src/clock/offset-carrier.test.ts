import { sampleMessage } from '@mesh30k/shared/testing';
import { describe, expect, it } from 'vitest';
import { clockOffsetFromCoordinate, clockOffsetFromPing } from './offset-carrier.js';

const entry = (clockOffsetMs?: number) => ({ lead_time_ms: 5, expected_processing_ms: 1, confidence: 1, clock_offset_ms: clockOffsetMs });

describe('clockOffsetFromCoordinate', () => {
  it("reads this agent's own compensation entry, not another agent's", () => {
    const message = sampleMessage('COORDINATE', { overrides: { compensation: { 'edge-1': entry(-12.5), 'edge-2': entry(3) } } });
    expect(clockOffsetFromCoordinate(message, 'edge-1')).toBe(-12.5);
    expect(clockOffsetFromCoordinate(message, 'edge-2')).toBe(3);
  });

  it('gives undefined when there is no map, no entry for this agent, or no offset in it', () => {
    expect(clockOffsetFromCoordinate(sampleMessage('COORDINATE'), 'edge-1')).toBeUndefined();
    expect(clockOffsetFromCoordinate(sampleMessage('COORDINATE', { overrides: { compensation: { 'edge-2': entry(3) } } }), 'edge-1')).toBeUndefined();
    expect(clockOffsetFromCoordinate(sampleMessage('COORDINATE', { overrides: { compensation: { 'edge-1': entry() } } }), 'edge-1')).toBeUndefined();
  });

  it("reads a PING's top-level clock_offset_ms", () => {
    expect(clockOffsetFromPing(sampleMessage('PING', { overrides: { clock_offset_ms: 250.5 } }))).toBe(250.5);
    expect(clockOffsetFromPing(sampleMessage('PING'))).toBeUndefined();
  });
});
