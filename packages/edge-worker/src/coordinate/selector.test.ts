import { describe, expect, it } from 'vitest';
import { isSelected } from './selector.js';

const self = { agentId: 'edge-1', clusterId: 'cluster-1', capabilities: ['route', 'cache'] };

describe('isSelected', () => {
  it('selects nobody with an empty selector, everybody with all', () => {
    expect(isSelected({}, self)).toBe(false);
    expect(isSelected({ all: true }, self)).toBe(true);
  });

  it('requires every criterion present to match', () => {
    expect(isSelected({ agent_ids: ['edge-1'] }, self)).toBe(true);
    expect(isSelected({ agent_ids: ['pi-1'] }, self)).toBe(false);
    expect(isSelected({ capability: 'cache', agent_class: 'A' }, self)).toBe(true);
    expect(isSelected({ capability: 'gpio' }, self)).toBe(false);
    expect(isSelected({ agent_class: 'E' }, self)).toBe(false);
    expect(isSelected({ cluster_id: 'cluster-1', agent_ids: ['edge-1'] }, self)).toBe(true);
    expect(isSelected({ cluster_id: 'cluster-2', agent_ids: ['edge-1'] }, self)).toBe(false);
  });

  it('does not check sector_id: a Worker belongs to no sector', () => {
    expect(isSelected({ sector_id: 'sector-9' }, self)).toBe(true);
    expect(isSelected({ sector_id: 'sector-9', agent_class: 'E' }, self)).toBe(false);
  });
});
