import { describe, expect, it } from 'vitest';
import { sampleMessage } from '@mesh30k/shared/testing';
import { arrivalDistribution, leadConversion, outcomeOf } from './arrival.js';
import type { AgentArrival } from './record.js';

describe('leadConversion', () => {
  it('adds the offset and corrects for drift since the reference instant', () => {
    expect(leadConversion(null, 1_000)).toBeNull();
    expect(leadConversion({ offsetMs: 250, driftPpm: 0, atLocalMs: 0 }, 1_000)).toBe(1_250);
    // An agent clock 100 ppm fast gains 1 ms per 10 s: 10 s after the reference it reads 1 ms ahead.
    expect(leadConversion({ offsetMs: 250, driftPpm: 100, atLocalMs: 0 }, 10_000)).toBeCloseTo(10_249, 9);
  });
});

describe('arrivalDistribution', () => {
  const arrival = (arrivalErrorMs: number, outcome: AgentArrival['outcome'] = 'ready'): AgentArrival =>
    ({ arrivalErrorMs, outcome, inWindow: Math.abs(arrivalErrorMs) <= 5, readyAtMeshLead: null, readyAtMeshAgent: 0 }) as AgentArrival;

  it('covers READY arrivals only, as |error| and signed', () => {
    const d = arrivalDistribution([arrival(-10), arrival(2), arrival(4), arrival(100, 'conflict')], 'agent', 5);
    expect(d).toMatchObject({ count: 3, hitRate: 2 / 3, abs: { p50: 4, max: 10 }, signed: { min: -10, max: 4, p50: 2 } });
  });

  it('has no figures without a READY agent', () => {
    expect(arrivalDistribution([arrival(1, 'transit')], 'lead', 5)).toEqual({
      basis: 'lead',
      count: 0,
      windowMs: 5,
      abs: null,
      signed: null,
      hitRate: null,
      basisDisagreementMaxMs: null,
    });
  });
});

describe('outcomeOf', () => {
  const ack = sampleMessage('ACK');
  it('a TRANSIT ACK with a TRANSIT_REFUSAL code is unrunnable (not the agent\'s fault); other refusals are refusals', () => {
    expect(outcomeOf({ ...ack, trinary_state: 0, refusal: { code: 'FRAME_REFUSED', message: 'too big' } })).toBe('unrunnable');
    expect(outcomeOf({ ...ack, trinary_state: 0, refusal: { code: 'VERB_UNSUPPORTED', message: 'no act' } })).toBe('unrunnable');
    expect(outcomeOf({ ...ack, trinary_state: 0, refusal: { code: 'PAYLOAD_INVALID', message: 'bad' } })).toBe('unrunnable');
    expect(outcomeOf({ ...ack, trinary_state: 0, refusal: { code: 'HANDLER_FAILED', message: 'EIO' } })).toBe('refused');
    expect(outcomeOf({ ...ack, trinary_state: 0, refusal: undefined })).toBe('transit');
    expect(outcomeOf({ ...ack, trinary_state: 1, refusal: undefined })).toBe('ready');
  });
});
