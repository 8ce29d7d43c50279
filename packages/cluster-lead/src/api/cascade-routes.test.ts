import { describe, expect, it } from 'vitest';
import { cascadeJobEnd, type CascadeViewJson } from './cascade-routes.js';

const view = (state: CascadeViewJson['state'], result: Record<string, unknown> | null, error: string | null = null): CascadeViewJson => ({ cascadeId: 'cas-1', state, startedAt: 1, result, error });
const decided = (status: string, sent: number, degraded: string[] = []) => view('completed', { cascadeId: 'cas-1', status, counts: { selected: 3, sent, ready: sent }, degraded, phases: [] });

describe('cascadeJobEnd', () => {
  it('is nothing while the cascade runs', () => {
    expect(cascadeJobEnd(view('running', null))).toBeUndefined();
  });

  it('is a success only when every phase met its thresholds and someone was sent to', () => {
    expect(cascadeJobEnd(decided('SUCCESS', 3))).toMatchObject({ ok: true, result: { cascade_id: 'cas-1', status: 'SUCCESS' } });
    expect(cascadeJobEnd(decided('COMPLETE', 3))).toMatchObject({ ok: true });
  });

  it('fails a decided cascade that did not do its work, its result kept', () => {
    // Its own scatter skipped every agent (T too close): nothing was sent, nothing is ready.
    const nobody = cascadeJobEnd(decided('PARTIAL', 0, ['PARTIAL: 0/0 ready (needs 0.95)']));
    expect(nobody).toMatchObject({ ok: false, code: 'CASCADE_INCOMPLETE', message: expect.stringContaining('PARTIAL: 0/0 ready'), result: { status: 'PARTIAL' } });
    expect(cascadeJobEnd(decided('FAILED_AT_SECTOR', 0, ['FAILED_AT_SECTOR: 0/0 ready (needs 0.95)']))).toMatchObject({ ok: false, code: 'CASCADE_INCOMPLETE' });
    // priority_first is COMPLETE whatever its phases did: a degraded phase fails the job.
    expect(cascadeJobEnd(decided('COMPLETE', 3, ['class A: PARTIAL, 1/3 ready (needs 0.9)']))).toMatchObject({ ok: false, code: 'CASCADE_INCOMPLETE' });
    // Every class empty: nobody was sent to.
    expect(cascadeJobEnd(decided('COMPLETE', 0))).toMatchObject({ ok: false, code: 'CASCADE_INCOMPLETE', message: expect.stringContaining('nobody was sent to') });
    expect(cascadeJobEnd(decided('EMPTY', 0))).toMatchObject({ ok: false, code: 'CASCADE_INCOMPLETE' });
  });

  it('fails a cascade that threw with its error', () => {
    expect(cascadeJobEnd(view('failed', null, 'boom'))).toMatchObject({ ok: false, code: 'CASCADE_FAILED', message: 'boom' });
  });
});
