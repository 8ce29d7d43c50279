import { describe, expect, it } from 'vitest';
import { LeadError } from '../lib/errors.js';
import { stampLeaseEpoch } from './lease-stamp.js';

describe('stampLeaseEpoch', () => {
  it('leaves a message of a lead without HA as it is', () => {
    const message = { kind: 'FREEZE' };
    expect(stampLeaseEpoch(message, undefined)).toBe(message);
  });

  it('stamps the epoch of the lease held now', () => {
    let epoch = 7;
    const source = () => epoch;
    expect(stampLeaseEpoch({ kind: 'THAW' }, source)).toEqual({ kind: 'THAW', lease_epoch: 7 });
    epoch = 9;
    expect(stampLeaseEpoch({ kind: 'THAW' }, source).lease_epoch).toBe(9);
  });

  it('refuses to stamp anything once the lease is gone', () => {
    let caught: unknown;
    try {
      stampLeaseEpoch({ kind: 'COORDINATE' }, () => null);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LeadError);
    expect((caught as LeadError).code).toBe('LEASE_LOST');
  });
});
