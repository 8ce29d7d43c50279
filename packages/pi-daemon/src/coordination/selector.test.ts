import { describe, expect, it } from 'vitest';
import type { AgentIdentity } from '../agent/options.js';
import { isSelected, missingCapabilities } from './selector.js';

const self: AgentIdentity = { agentId: 'pi-1', clusterId: 'c-1', sectorId: 's-1', agentClass: 'E', capabilities: ['gpio', 'sensor.read'], leadId: 'lead-1' };

describe('selector', () => {
  it('all selects everyone; an empty selector selects nobody', () => {
    expect(isSelected({ all: true }, self)).toBe(true);
    expect(isSelected({}, self)).toBe(false);
    expect(isSelected({ all: false }, self)).toBe(false);
  });

  it('every condition present must hold', () => {
    expect(isSelected({ agent_ids: ['pi-2', 'pi-1'] }, self)).toBe(true);
    expect(isSelected({ agent_ids: ['pi-2'] }, self)).toBe(false);
    expect(isSelected({ capability: 'gpio', agent_class: 'E', cluster_id: 'c-1', sector_id: 's-1' }, self)).toBe(true);
    expect(isSelected({ capability: 'gpio', agent_class: 'A' }, self)).toBe(false);
    expect(isSelected({ all: true, cluster_id: 'c-2' }, self)).toBe(false);
  });

  it('lists missing capabilities', () => {
    expect(missingCapabilities(['gpio'], self)).toEqual([]);
    expect(missingCapabilities(['gpio', 'camera', 'lidar'], self)).toEqual(['camera', 'lidar']);
  });
});
