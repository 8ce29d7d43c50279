/**
 * GET /v1/tree: this lead and its child leads (the cascade's child table), each child with the
 * figures of its last SUMMARY, which describe its whole subtree. A child's own children are
 * inside its figures, not listed: ask that child's API for its tree.
 */
import type { MeshMode } from '@mesh30k/shared';
import { Hono } from 'hono';
import { z } from 'zod';
import type { ChildLeadView } from '../cascade/index.js';
import { readQuery } from './query.js';
import type { ChildLeadJson, LeadTreeJson } from './response-schemas.js';

export interface TreeSelf {
  readonly leadId: string;
  readonly clusterId: string;
  readonly sectorId: string | null;
  readonly parentLeadId: string | null;
}

export interface TreeSource {
  readonly self: TreeSelf;
  /** The status box: agents active/total and mode of this lead's whole subtree. */
  mesh(): { agents_active: number; agents_total: number; mode: MeshMode; frozen: boolean };
  /** The child-lead table; empty while the cascade service is not running. */
  children(): readonly ChildLeadView[];
}

export const TreeQuery = z.strictObject({});

export function childLeadJson(child: ChildLeadView): ChildLeadJson {
  const s = child.summary;
  return {
    lead_id: child.leadId,
    cluster_id: s.cluster_id,
    sector_id: s.sector_id ?? null,
    liveness: child.liveness,
    received_at: child.receivedAt,
    first_seen_at: child.firstSeenAt,
    summaries: child.summaries,
    hop_ms: child.hopMs,
    agent_count: s.agent_count,
    by_state: s.by_state,
    impedance: s.impedance,
    max_lead_time_ms: s.max_lead_time_ms,
    mode: s.mode,
    frozen: s.frozen,
  };
}

export function leadTreeJson(source: TreeSource): LeadTreeJson {
  const mesh = source.mesh();
  return {
    lead_id: source.self.leadId,
    cluster_id: source.self.clusterId,
    sector_id: source.self.sectorId,
    parent_lead_id: source.self.parentLeadId,
    agents_active: mesh.agents_active,
    agents_total: mesh.agents_total,
    mode: mesh.mode,
    frozen: mesh.frozen,
    children: source.children().map(childLeadJson),
  };
}

export function treeRoutes(source: TreeSource): Hono {
  const app = new Hono();
  app.get('/', (c) => {
    readQuery(c, TreeQuery);
    return c.json(leadTreeJson(source));
  });
  return app;
}
