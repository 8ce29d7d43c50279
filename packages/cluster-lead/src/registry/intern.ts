import type { AgentShape } from './agent-record.js';

/**
 * Interning for strings and string lists that repeat across agents (cluster and sector ids,
 * capability lists, context hashes): 30,000 agents of one cluster share one copy. Lists are
 * frozen, since every agent holding one shares it.
 */
export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, readonly string[]>();
  private readonly shapes = new Map<string, AgentShape>();

  string(value: string): string {
    const held = this.strings.get(value);
    if (held !== undefined) return held;
    this.strings.set(value, value);
    return value;
  }

  list(values: readonly string[]): readonly string[] {
    const key = values.join('\u0000');
    const held = this.lists.get(key);
    if (held !== undefined) return held;
    const list = Object.freeze(values.map((value) => this.string(value)));
    this.lists.set(key, list);
    return list;
  }

  /** One frozen shape per distinct role, class, cluster, sector and capability list, its strings and list interned. */
  shape(shape: AgentShape): AgentShape {
    const capabilities = this.list(shape.capabilities);
    const key = [shape.role, shape.agentClass, shape.clusterId, shape.sectorId, ...capabilities].join('\u0000');
    const held = this.shapes.get(key);
    if (held !== undefined) return held;
    const interned = Object.freeze({ role: shape.role, agentClass: shape.agentClass, clusterId: this.string(shape.clusterId), sectorId: this.string(shape.sectorId), capabilities });
    this.shapes.set(key, interned);
    return interned;
  }
}
