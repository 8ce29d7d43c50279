/**
 * Interning for strings and string lists that repeat across agents (cluster and sector ids,
 * capability lists, context hashes): 30,000 agents of one cluster share one copy. Lists are
 * frozen, since every agent holding one shares it.
 */
export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, readonly string[]>();

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
}
