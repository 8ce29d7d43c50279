// The configuration table in packages/pi-daemon/README.md, checked against the schema.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AGENT_ENV_BINDINGS, AgentConfigSchema } from '../../src/config/index.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const KEY = 'pLhBSMzxbKOWHFd9BPFkGQjuJFv4xPvVDktXzQw-Wws';
const required = { agent_id: 'pi-1', cluster_id: 'c1', lead_id: 'lead-1' };

interface Row {
  key: string;
  variable: string;
  default: string;
}

async function configRows(): Promise<Row[]> {
  const text = await readFile(README, 'utf8');
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const key = /^`([a-z_.]+)`$/.exec(cells[1] ?? '')?.[1];
    const variable = /^`(MESH_[A-Z_]+)`$/.exec(cells[2] ?? '')?.[1];
    if (key === undefined || variable === undefined) continue;
    rows.push({ key, variable, default: cells[3] ?? '' });
  }
  return rows;
}

function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], value);
}

/** A table cell as a value: JSON where it parses (5000, ["..."]), else the bare text (E, 127.0.0.1). */
function literal(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

describe('README configuration table', () => {
  it('lists every key with its variable, and nothing else', async () => {
    const rows = await configRows();
    expect(rows.map((row) => [row.key, row.variable])).toEqual(AGENT_ENV_BINDINGS.map((binding) => [binding.path.join('.'), binding.name]));
  });

  it('states the defaults the schema applies', async () => {
    const withLeadKey = AgentConfigSchema.parse({ ...required, lead_public_key: KEY });
    const withRoots = AgentConfigSchema.parse({ ...required, trust_roots: [KEY] });
    for (const row of await configRows()) {
      if (row.default === 'required') {
        const without: Record<string, unknown> = { ...required, lead_public_key: KEY };
        delete without[row.key];
        const result = AgentConfigSchema.safeParse(without);
        expect(result.success ? [] : result.error.issues.map((issue) => issue.path.join('.')), row.key).toContain(row.key);
      } else if (row.default === 'none') {
        expect(at(withLeadKey, row.key) === undefined || at(withRoots, row.key) === undefined, row.key).toBe(true);
      } else {
        const stated = literal(row.default.replace(/^`|`$/g, ''));
        expect(at(withLeadKey, row.key), row.key).toEqual(stated);
      }
    }
  });
});
