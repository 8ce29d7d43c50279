import { EpochFence, ManualClock, ReplayGuard } from '@mesh30k/shared';
import type { Coordinate } from '@mesh30k/shared';
import { sampleMessage } from '@mesh30k/shared/testing';
import { describe, expect, it } from 'vitest';
import { resolveTuning } from '../agent/options.js';
import { hashPayload } from './context-hash.js';
import { decideIntake, type IntakeState } from './intake.js';

const NOW = 1_800_000_000_000;
const identity = { agentId: 'pi-1', clusterId: 'c-1', sectorId: 's-1', agentClass: 'E' as const, capabilities: ['gpio'], leadId: 'lead-1' };

function coordinate(overrides: Partial<Coordinate> = {}): Coordinate {
  const payload = { x: 1 };
  return sampleMessage('COORDINATE', { sender: 'lead-1', at: NOW, overrides: { payload, payload_hash: hashPayload(payload), ...overrides } });
}

function state(overrides: Partial<IntakeState> = {}): IntakeState {
  return { identity, tuning: resolveTuning(), replay: new ReplayGuard({ clock: new ManualClock(NOW) }), meshNow: NOW, signerId: 'lead-1', frozen: false, closing: false, ...overrides };
}

describe('decideIntake', () => {
  it('accepts a fresh, selected, doable COORDINATE once', () => {
    const s = state();
    const message = coordinate();
    expect(decideIntake(message, s)).toEqual({ kind: 'accept' });
    expect(decideIntake(message, s)).toMatchObject({ kind: 'refuse', code: 'REPLAYED' });
  });

  it('refuses what the lead did not sign, and ignores what is not for this agent', () => {
    expect(decideIntake(coordinate(), state({ signerId: 'lead-2' }))).toMatchObject({ kind: 'refuse', code: 'WRONG_SIGNER' });
    expect(decideIntake(coordinate({ selector: { agent_ids: ['pi-2'] } }), state())).toEqual({ kind: 'ignore' });
  });

  it('refuses an expired one, and declines one whose T is long past', () => {
    expect(decideIntake(coordinate({ ttl_ms: 1_000 }), state({ meshNow: NOW + 1_500 }))).toMatchObject({ kind: 'refuse', code: 'EXPIRED' });
    expect(decideIntake(coordinate({ target_time: NOW - 5_000, ttl_ms: 30_000 }), state())).toMatchObject({ kind: 'decline', code: 'TARGET_PASSED' });
  });

  it('declines while frozen or shutting down', () => {
    expect(decideIntake(coordinate(), state({ frozen: true }))).toMatchObject({ kind: 'decline', code: 'FROZEN' });
    expect(decideIntake(coordinate(), state({ closing: true }))).toMatchObject({ kind: 'decline', code: 'SHUTTING_DOWN' });
  });

  it('reports a missing capability and a payload that does not match its hash as conflicts', () => {
    expect(decideIntake(coordinate({ requires_capabilities: ['gpio', 'camera'] }), state())).toMatchObject({
      kind: 'conflict',
      conflict: { type: 'CAPABILITY_MISMATCH', detail: 'missing capabilities: camera' },
    });
    expect(decideIntake(coordinate({ payload_hash: 'f'.repeat(64) }), state())).toMatchObject({ kind: 'conflict', conflict: { type: 'HASH_MISMATCH' } });
  });

  it('refuses a COORDINATE from a lower lease epoch than seen, and takes unstamped ones as from a lead without HA', () => {
    const s = state({ leaseFence: new EpochFence() });
    expect(decideIntake(coordinate({ lease_epoch: 12 }), s)).toEqual({ kind: 'accept' });
    expect(decideIntake(coordinate({ lease_epoch: 11 }), s)).toMatchObject({ kind: 'refuse', code: 'LEASE_FENCED' });
    expect(decideIntake(coordinate({ lease_epoch: 12 }), s)).toEqual({ kind: 'accept' });
    expect(decideIntake(coordinate(), s)).toEqual({ kind: 'accept' });
    expect(s.leaseFence?.refused).toBe(1);
  });
});
