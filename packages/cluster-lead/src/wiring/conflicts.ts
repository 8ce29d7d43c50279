/**
 * Conflicts: the desk that logs and quarantines, the signed intake agents report to, retention
 * of the log, and escalation to the parent lead when this lead has one.
 */
import { ReplayGuard, decodePublicKey, encodeMessage, subjects, verifyAndParse, type Clock, type ConflictReport, type Reply } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { LeadConfig } from '../config/index.js';
import { ConflictDesk, ConflictIntake, ConflictRetention, type ParentEscalation } from '../conflicts/index.js';
import type { LimitCounters } from '../lib/limit-counters.js';
import type { Logger } from '../lib/logger.js';
import { frameHeaders, frameOf } from '../nats/frames.js';
import type { NatsLink } from '../nats/nats-link.js';
import type { OpsMirror } from '../replication/operations/index.js';
import type { LeadStore } from '../store/index.js';
import type { LeadIdentity } from '../trust/index.js';
import type { LeadTrust } from './trust.js';
import type { StopStep } from './stop-steps.js';

export interface ConflictsDeps {
  readonly config: LeadConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: LeadStore;
  readonly link: NatsLink;
  readonly identity: LeadIdentity;
  readonly resolveKey: LeadTrust['resolveKey'];
  readonly limits: LimitCounters;
  /** Run the retention timer (tests drive it by hand). */
  readonly timers: boolean;
  readonly cleanups: StopStep[];
  /** The JetStream store's mirror: a CONFLICT report is answered once it is on its stream. */
  readonly mirror?: OpsMirror | undefined;
}

export function buildConflicts({ config, clock, logger, store, link, identity, resolveKey, limits, timers, cleanups, mirror }: ConflictsDeps) {
  const conflictLog = logger.child({ domain: 'conflicts' });
  const escalate = config.parent === undefined ? undefined : parentEscalationVia(link, identity, { leadId: config.parent.lead_id, publicKey: decodePublicKey(config.parent.public_key) }, config.conflicts.escalation_timeout_ms);
  const desk = new ConflictDesk(
    {
      clock,
      log: store.conflicts,
      quarantine: store.quarantine,
      deadLetters: store.deadLetters,
      logger: conflictLog,
      leadId: config.lead_id,
      ...(escalate === undefined ? {} : { escalate }),
    },
    { escalateAt: config.conflicts.escalate_at },
  );
  const intake = new ConflictIntake({
    desk,
    ed25519: nodeEd25519,
    resolveKey,
    replay: new ReplayGuard({ clock, ttlMs: config.ingest.replay_ttl_ms, skewMs: config.ingest.replay_skew_ms }),
    logger: conflictLog,
    leadId: config.lead_id,
    replies: { leadId: config.lead_id, signer: identity.signer, clock },
    clock,
    rate: { burst: config.conflicts.rate_limit.burst, perSecond: config.conflicts.rate_limit.per_second },
    limits,
    replicate: mirror === undefined ? undefined : (conflictId) => mirror.conflictReplicated(conflictId),
  });
  const { retention } = config.conflicts;
  const conflictRetention = new ConflictRetention(
    { clock, log: store.conflicts, logger: conflictLog, limits },
    { maxRows: retention.max_rows, maxAgeMs: retention.max_age_ms, intervalMs: retention.interval_ms, batch: retention.batch },
  );
  if (timers) conflictRetention.start();
  cleanups.push(['conflict retention', () => conflictRetention.stop()]);
  return { desk, intake, escalate };
}

/**
 * Sends a CONFLICT to the parent lead's conflict subject and waits for its confirmation: a
 * REPLY the parent signed for this report (docs/protocol.md); anything else is a failure, so
 * the conflict stays escalation-pending here.
 */
function parentEscalationVia(link: NatsLink, identity: LeadIdentity, parent: { leadId: string; publicKey: Uint8Array | undefined }, timeoutMs: number): ParentEscalation {
  return async (report: ConflictReport) => {
    const nc = link.connection;
    if (nc === undefined) throw new Error('NATS is not connected');
    const frame = await encodeMessage(report, identity.signer, identity.leadId);
    const reply = await nc.request(subjects.conflict(parent.leadId), frame.body, { timeout: timeoutMs, headers: frameHeaders(frame) });
    const verified = await verifyAndParse(frameOf(reply), {
      ed25519: nodeEd25519,
      resolveKey: (id) => (id === parent.leadId && parent.publicKey !== undefined ? { ok: true, value: parent.publicKey } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: `${id} is not this lead's parent` } }),
      accept: ['REPLY'],
    });
    if (!verified.ok) throw new Error(`parent lead's answer refused: ${verified.error.code} ${verified.error.message}`);
    const answer = verified.value.message as Reply;
    if (answer.in_reply_to !== report.message_id || answer.to !== identity.leadId) throw new Error("parent lead's answer is for another report");
    if (!answer.ok) throw new Error(`parent lead refused the conflict: ${answer.code ?? 'unknown'} ${answer.message ?? ''}`);
  };
}
