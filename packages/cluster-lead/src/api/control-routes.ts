/** POST /v1/freeze and /v1/thaw (scope cluster | sector | global), GET /v1/breakers. */
import type { BreakerStatus } from '@mesh30k/shared';
import { Hono } from 'hono';
import { z } from 'zod';
import { FreezeError, type FreezeOutcome, type FreezeRequest } from '../control/index.js';
import { ApiError } from './problem.js';
import type { BreakerJson, FreezeOutcomeJson } from './response-schemas.js';

export const FreezeBody = z.strictObject({
  scope: z.enum(['cluster', 'sector', 'global']),
  target_id: z.string().min(1).max(64).optional(),
  reason: z.string().max(256).optional(),
  /** Known only to be refused with its reason (PRESERVE_STATE_TO_REFUSAL). */
  preserve_state_to: z.unknown().optional(),
});

/**
 * The spec's FREEZE carries `preserve_state_to`. The lead refuses it: every agent already keeps
 * its state (outbox, context, the freeze itself) in its own database under data_dir, written at
 * every change, and the lead its snapshot; a path sent over the network would let whoever can
 * freeze make every Pi write where they like.
 */
export const PRESERVE_STATE_TO_REFUSAL =
  'preserve_state_to is not supported: agents keep their state in their own database (data_dir) at every change, and a frozen agent stays frozen across restarts; leave the field out';

export interface ControlApi {
  freeze(request: FreezeRequest): Promise<FreezeOutcome>;
  thaw(request: FreezeRequest): Promise<FreezeOutcome>;
}

function outcomeJson(o: FreezeOutcome): FreezeOutcomeJson {
  return { action: o.action, scope: o.scope, target_id: o.targetId, message_id: o.messageId, published: o.published, lead_frozen: o.frozen };
}

export function controlRoutes(control: ControlApi): Hono {
  const app = new Hono();
  const handler = (action: 'freeze' | 'thaw') =>
    app.post(`/${action}`, async (c) => {
      let raw: unknown;
      try {
        raw = await c.req.json();
      } catch {
        throw new ApiError(400, 'BAD_REQUEST', 'Invalid JSON', 'the body is not JSON');
      }
      const parsed = FreezeBody.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ApiError(400, 'BAD_REQUEST', `Invalid ${action}`, `${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`);
      }
      if (parsed.data.preserve_state_to !== undefined) throw new ApiError(422, 'BAD_REQUEST', `Unsupported ${action} field`, `preserve_state_to: ${PRESERVE_STATE_TO_REFUSAL}`);
      const request = { scope: parsed.data.scope, targetId: parsed.data.target_id, reason: parsed.data.reason };
      try {
        return c.json(outcomeJson(await control[action](request)));
      } catch (error) {
        if (error instanceof FreezeError) throw new ApiError(400, 'BAD_REQUEST', `Invalid ${action}`, error.message);
        throw error;
      }
    });
  handler('freeze');
  handler('thaw');
  return app;
}

export function breakerJson(b: BreakerStatus): BreakerJson {
  return {
    scope: b.scope,
    target_id: b.targetId,
    state: b.state,
    failures_in_window: b.failuresInWindow,
    failed_probes: b.failedProbes,
    opened_at: b.openedAt,
    next_check_at: b.nextCheckAt,
    trials_left: b.trialsLeft,
    metrics_only: b.metricsOnly,
  };
}
