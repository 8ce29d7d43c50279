import { WIRE_LIMITS } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { HOLD_SELECTOR_BUDGET_BYTES, holdSelectors } from './hold-selector.js';
import type { TargetAgent } from './ports.js';

const agents = (ids: readonly string[]) => ids.map((agentId) => ({ agentId }) as TargetAgent);

describe('holdSelectors', () => {
  it("keeps the operation's selector when it matches exactly the held agents", () => {
    expect(holdSelectors({ capability: 'gpio' }, agents(['a', 'b']), ['a', 'b'])).toEqual([{ capability: 'gpio' }]);
  });

  it('lists the held agents when agents the lead has not heard from could match its selector', () => {
    // A standby just after a takeover: two agents heard, a third enrolled but silent so far.
    expect(holdSelectors({ all: true }, agents(['a', 'b']), ['a', 'b'], 1)).toEqual([{ agent_ids: ['a', 'b'] }]);
    expect(holdSelectors({ capability: 'gpio' }, agents(['a']), ['a'], 3)).toEqual([{ agent_ids: ['a'] }]);
  });

  it('lists the held agents when some selected agents are not held', () => {
    expect(holdSelectors({ all: true }, agents(['a', 'b', 'c']), ['a', 'c'])).toEqual([{ agent_ids: ['a', 'c'] }]);
  });

  it('splits a long list so no message carries more than the budget of ids', () => {
    const held = Array.from({ length: 3_000 }, (_, i) => `pi-${String(i).padStart(10, '0')}`);
    const chunks = holdSelectors({ all: true }, agents([...held, 'skipped']), held);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flatMap((c) => c.agent_ids ?? [])).toEqual(held);
    for (const c of chunks) expect(JSON.stringify(c.agent_ids).length).toBeLessThanOrEqual(HOLD_SELECTOR_BUDGET_BYTES + 2);
  });

  it("splits the operation's own id list when it is too big for one frame, even if every agent is held", () => {
    const held = Array.from({ length: 2_000 }, (_, i) => `pi-${String(i).padStart(10, '0')}`);
    const chunks = holdSelectors({ agent_ids: held }, agents(held), held);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flatMap((c) => c.agent_ids ?? [])).toEqual(held);
    for (const c of chunks) expect(JSON.stringify(c).length).toBeLessThanOrEqual(WIRE_LIMITS.maxSelectorBytes);
  });
});
