/** The subset of a `util.parseArgs` option table that decides how a value is attached. */
export interface FlagTable {
  readonly [name: string]: { readonly type: 'string' | 'boolean'; readonly short?: string };
}

/**
 * Rewrites `--flag value` as `--flag=value` when the value starts with a dash, so strict
 * `parseArgs` takes it as the flag's value. Without this a base64url key that happens to
 * begin with `-` (one key in 64) is refused as "ambiguous". A following token that is itself
 * a known flag is left alone, so a forgotten value is still reported as missing.
 */
export function attachDashValues(argv: readonly string[], flags: FlagTable): string[] {
  const known = new Set<string>();
  for (const [name, spec] of Object.entries(flags)) {
    known.add(`--${name}`);
    if (spec.short !== undefined) known.add(`-${spec.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const next = argv[i + 1];
    const name = token.startsWith('--') && !token.includes('=') ? token.slice(2) : undefined;
    if (name !== undefined && flags[name]?.type === 'string' && next !== undefined
      && next.startsWith('-') && next !== '--' && !known.has(next.split('=')[0]!)) {
      out.push(`${token}=${next}`);
      i++;
    } else {
      out.push(token);
    }
  }
  return out;
}
