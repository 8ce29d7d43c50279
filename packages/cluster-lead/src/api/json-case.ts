/** The API speaks snake_case like the wire; engine records are camelCase. Only plain camelCase keys change. */
const CAMEL_KEY = /^[a-z][a-zA-Z0-9]*$/;

export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    out[CAMEL_KEY.test(key) ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key] = snakeKeys(child);
  }
  return out;
}
