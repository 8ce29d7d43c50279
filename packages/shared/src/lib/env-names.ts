/**
 * Environment variables that look like ours but match no setting: almost always a typo
 * (`MESH_LEAD_HTTP_PORT` for `MESH_LEAD_HTTP__PORT`) that would otherwise be ignored in
 * silence. Each runtime derives its known names from its own config schema and logs what this
 * returns; the environment is passed in, never read here.
 */

export interface UnknownEnvName {
  readonly name: string;
  /** The known name closest to it, when one is close enough to be the intended one. */
  readonly suggestion?: string;
}

/** A suggestion is offered within this many single-character edits (insert, delete, replace). */
const MAX_SUGGESTION_EDITS = 3;

/** Names in `env` that start with `prefix` and are neither `known` nor `ignored`, sorted. */
export function unknownEnvNames(
  env: Readonly<Record<string, string | undefined>>,
  options: { prefix: string; known: Iterable<string>; ignored?: Iterable<string> },
): UnknownEnvName[] {
  const known = [...options.known];
  const accepted = new Set([...known, ...(options.ignored ?? [])]);
  return Object.keys(env)
    .filter((name) => name.startsWith(options.prefix) && !accepted.has(name))
    .sort()
    .map((name) => {
      const suggestion = closest(name, known);
      return suggestion === undefined ? { name } : { name, suggestion };
    });
}

/** `MESH_X (did you mean MESH_Y?), MESH_Z`: for one log or error line. */
export function describeUnknownEnv(names: readonly UnknownEnvName[]): string {
  return names.map((entry) => (entry.suggestion === undefined ? entry.name : `${entry.name} (did you mean ${entry.suggestion}?)`)).join(', ');
}

function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = MAX_SUGGESTION_EDITS + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate, bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning `limit`) once it cannot come in under it. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return Math.min(previous[b.length] ?? limit, limit);
}
