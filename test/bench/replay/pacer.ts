// Publishes pre-signed heartbeats at their planned times, straight to nats-server (no
// request objects, no timers per message), and counts the lead's answers by the reply
// subject each frame carries: accepted, refused (by code), or never answered.
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { SESSION_HEADER, SIGNATURE_HEADER, SIGNER_HEADER, TAG_HEADER } from '@mesh30k/shared';
import type { ReplayFrame } from './frames.js';

/** How often the pacer wakes to send what has come due. */
const TICK_MS = 2;

export interface AnswerCounts {
  sent: number;
  accepted: number;
  refused: Record<string, number>;
  /** Reply latencies (publish to answer, ms) of the frames counted here. */
  latencies: number[];
}

export interface PacedRun {
  /** Answers to frames planned inside the window, and to all frames. */
  window: AnswerCounts;
  all: AnswerCounts;
  /** How late the pacer started the first frame beyond its plan (frames were shifted by it), ms. */
  startLagMs: number;
  /** Worst lateness of a publish behind its (shifted) plan, ms. */
  maxLateMs: number;
  /** Per frame (by index): 1 once its answer said accepted. */
  accepted: Uint8Array;
}

const decoder = new TextDecoder();

function emptyCounts(): AnswerCounts {
  return { sent: 0, accepted: 0, refused: {}, latencies: [] };
}

/** The outcome of one answer body ('signed': a signed or tagged reply): 'accepted', or the refusal's code. */
export function answerOutcome(body: Uint8Array, signed: boolean): string {
  try {
    const parsed = JSON.parse(decoder.decode(body)) as { accepted?: boolean; reason_code?: string; code?: string };
    if (signed) return parsed.accepted === true ? 'accepted' : (parsed.reason_code ?? 'REFUSED');
    return parsed.code ?? 'UNSIGNED_REFUSAL';
  } catch {
    return 'UNREADABLE_ANSWER';
  }
}

function count(into: AnswerCounts, outcome: string, latencyMs: number): void {
  into.latencies.push(latencyMs);
  if (outcome === 'accepted') into.accepted += 1;
  else into.refused[outcome] = (into.refused[outcome] ?? 0) + 1;
}

/**
 * Sends `frames` (in time order) to `subject` at their planned times, shifted by however late
 * the first one is, and resolves once every answer is in (or `settleMs` after the last
 * publish), with every answer counted.
 * `inWindow` says which planned times count towards the window.
 */
export async function replayFrames(
  nc: NatsConnection,
  subject: string,
  frames: readonly ReplayFrame[],
  options: {
    inWindow: (at: number) => boolean;
    /** After the last publish, how long answers are awaited at most. */
    settleMs: number;
    /** Told the shift (ms) once the first frame goes, so the caller can time its own readings. */
    onStart?: (shiftMs: number) => void;
  },
): Promise<PacedRun> {
  const run: PacedRun = { window: emptyCounts(), all: emptyCounts(), startLagMs: 0, maxLateMs: 0, accepted: new Uint8Array(frames.length) };
  if (frames.length === 0) return run;
  const prefix = `_INBOX.replay.${Date.now().toString(36)}`;
  const sentAt = new Float64Array(frames.length);
  const answered = new Uint8Array(frames.length);
  const sub = nc.subscribe(`${prefix}.>`, {
    callback: (error, msg) => {
      if (error !== null) return;
      const index = Number(msg.subject.slice(prefix.length + 1));
      if (!(index >= 0 && index < frames.length) || answered[index] === 1) return;
      answered[index] = 1;
      const latency = performance.now() - sentAt[index]!;
      // A signed or session-tagged answer is a HEARTBEAT_REPLY; a bare one an unsigned refusal.
      const outcome = answerOutcome(msg.data, msg.headers?.get(SIGNATURE_HEADER) || msg.headers?.get(TAG_HEADER) ? true : false);
      count(run.all, outcome, latency);
      if (outcome === 'accepted') run.accepted[index] = 1;
      if (options.inWindow(frames[index]!.at)) count(run.window, outcome, latency);
    },
  });
  await nc.flush();
  run.startLagMs = Math.max(0, Date.now() - frames[0]!.at);
  const shift = run.startLagMs;
  options.onStart?.(shift);
  let next = 0;
  while (next < frames.length) {
    const now = Date.now();
    while (next < frames.length && frames[next]!.at + shift <= now) {
      const frame = frames[next]!;
      const h = natsHeaders();
      h.set(SIGNER_HEADER, frame.signerId);
      if (frame.signature !== undefined) h.set(SIGNATURE_HEADER, frame.signature);
      if (frame.session !== undefined && frame.tag !== undefined) {
        h.set(SESSION_HEADER, frame.session);
        h.set(TAG_HEADER, frame.tag);
      }
      sentAt[next] = performance.now();
      nc.publish(subject, frame.body, { reply: `${prefix}.${next}`, headers: h });
      run.maxLateMs = Math.max(run.maxLateMs, now - (frame.at + shift));
      run.all.sent += 1;
      if (options.inWindow(frame.at)) run.window.sent += 1;
      next += 1;
    }
    const wait = next < frames.length ? Math.min(TICK_MS, Math.max(0, frames[next]!.at + shift - Date.now())) : 0;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await nc.flush();
  // Answers are awaited until all are in or the settle deadline passes (then they are missing).
  const deadline = Date.now() + options.settleMs;
  while (run.all.latencies.length < frames.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  sub.unsubscribe();
  return run;
}
