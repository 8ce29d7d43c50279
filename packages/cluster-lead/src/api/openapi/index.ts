/**
 * GET /v1/openapi.json: generated from the route table (the zod schemas the routes validate
 * and answer with), built once on first use. docs/api.md is the contract in prose.
 */
import { buildDocument } from './build-document.js';
import type { RouteDoc } from './route-doc.js';
import { CONTROL_ROUTES } from './routes-control.js';
import { JOB_ROUTES } from './routes-jobs.js';
import { LEAD_ROUTES } from './routes-lead.js';

export type { RouteDoc } from './route-doc.js';

/** Every route the lead can serve, as documented. */
export const ROUTE_DOCS: readonly RouteDoc[] = [...LEAD_ROUTES, ...JOB_ROUTES, ...CONTROL_ROUTES];

const INFO = {
  title: 'MESH-30K cluster lead management API',
  version: '1',
  description:
    'Generated from the zod schemas the routes validate with and answer with (packages/cluster-lead/src/api/openapi). ' +
    'docs/api.md is the contract in prose. A method a path does not list is answered 405 with Allow (or 404 on older leads).',
};

let built: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  built ??= buildDocument(INFO, ROUTE_DOCS);
  return built;
}
