import { describe, expect, it } from 'vitest';
import { MeshError } from '../lib/errors.js';
import { admitOperation, type OperationRequest } from './admission.js';
import { MODE_RESTRICTIONS, restrictionsFor } from './restrictions.js';

const op = (o: Partial<OperationRequest> = {}): OperationRequest => ({
  targetCount: 10,
  meshWide: false,
  automated: false,
  priority: 2,
  ...o,
});
const huge = op({ targetCount: 30_000, meshWide: true, automated: true, priority: 0 });

describe('admitOperation', () => {
  it('FULL allows everything', () => {
    expect(admitOperation(MODE_RESTRICTIONS.FULL, huge)).toEqual({ allowed: true, waived: [] });
  });

  it('DEGRADED_LIGHT refuses automated background work only', () => {
    const r = MODE_RESTRICTIONS.DEGRADED_LIGHT;
    expect(admitOperation(r, op({ automated: true, priority: 0 }))).toMatchObject({
      allowed: false,
      code: 'BACKGROUND_DISABLED',
      disposition: 'refuse',
    });
    expect(admitOperation(r, op({ automated: false, priority: 0 })).allowed).toBe(true);
    expect(admitOperation(r, op({ automated: true, priority: 1, targetCount: 30_000 })).allowed).toBe(true);
    expect(r.retryTimeoutFactor).toBeGreaterThan(1);
  });

  it('DEGRADED_MODERATE refuses scatters over 1,000 and queues non-urgent work', () => {
    const r = MODE_RESTRICTIONS.DEGRADED_MODERATE;
    expect(admitOperation(r, op({ targetCount: 1_000 })).allowed).toBe(true);
    expect(admitOperation(r, op({ targetCount: 1_001 }))).toMatchObject({ allowed: false, code: 'SCATTER_TOO_LARGE' });
    expect(admitOperation(r, op({ priority: 1 }))).toMatchObject({
      allowed: false,
      code: 'NON_URGENT_QUEUED',
      disposition: 'queue',
    });
    expect(r.routeHealthySectorsOnly).toBe(true);
  });

  it('DEGRADED_SEVERE needs an operator override for mesh-wide work and runs critical work only', () => {
    const r = MODE_RESTRICTIONS.DEGRADED_SEVERE;
    const meshWide = op({ meshWide: true, targetCount: 30_000, priority: 3 });
    const refused = admitOperation(r, meshWide);
    expect(refused).toMatchObject({ allowed: false, code: 'OPERATOR_OVERRIDE_REQUIRED', disposition: 'refuse' });
    const overridden = admitOperation(r, { ...meshWide, operatorOverride: true });
    expect(overridden.allowed).toBe(true);
    if (overridden.allowed) {
      expect(overridden.waived.map((w) => w.code)).toEqual(['OPERATOR_OVERRIDE_REQUIRED', 'SCATTER_TOO_LARGE']);
    }
    expect(admitOperation(r, op({ priority: 2 }))).toMatchObject({ allowed: false, code: 'CRITICAL_ONLY' });
    expect(admitOperation(r, op({ priority: 3 })).allowed).toBe(true);
  });

  it('EMERGENCY halts automation, preserves state, and still lets an operator act', () => {
    const r = MODE_RESTRICTIONS.EMERGENCY;
    const a = admitOperation(r, op({ automated: true, priority: 3 }));
    expect(a).toMatchObject({ allowed: false, code: 'AUTOMATION_HALTED' });
    const all = admitOperation(r, huge);
    expect(all.allowed).toBe(false);
    if (!all.allowed) {
      expect(all.all.map((x) => x.code)).toEqual([
        'AUTOMATION_HALTED',
        'OPERATOR_OVERRIDE_REQUIRED',
        'SCATTER_TOO_LARGE',
        'CRITICAL_ONLY',
        'BACKGROUND_DISABLED',
        'NON_URGENT_QUEUED',
      ]);
    }
    expect(admitOperation(r, op({ automated: false, priority: 3 })).allowed).toBe(true);
    expect(r.preserveState).toBe(true);
    expect(r.automatedOperationsHalted).toBe(true);
  });

  it('takes site overrides of a mode restriction', () => {
    const r = restrictionsFor('DEGRADED_MODERATE', { maxScatterSize: 500 });
    expect(admitOperation(r, op({ targetCount: 501 }))).toMatchObject({ allowed: false, code: 'SCATTER_TOO_LARGE' });
    expect(r.mode).toBe('DEGRADED_MODERATE');
  });

  it('rejects a bad target count', () => {
    expect(() => admitOperation(MODE_RESTRICTIONS.FULL, op({ targetCount: -1 }))).toThrow(MeshError);
  });
});
