// The outside observer's part of the arrival benchmark's console output.
import { stdout } from 'node:process';
import { formatTable } from '../lib/report.js';
import type { ObserverResult } from './observed.js';

const pct = (x: number): string => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(2)}%`);
const ms = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(2));

export function printObserved(profiles: readonly { profile: string; observer?: ObserverResult }[]): void {
  const withObserver = profiles.filter((p) => p.observer !== undefined);
  if (withObserver.length === 0) return;
  stdout.write(
    '\nSeen from outside: an observer on nats-server stamps each ACK, minus its emulated uplink delay; ' +
      'stamp-to-wire = that instant - the sim\'s own stamp, split where the sim\'s emulated link handed the ACK to its connection (in the sim: release to send and the link timer; after: NATS client, server, observer); ' +
      'link late = the emulated link let the ACK go after its send plus its drawn delay (the sim process busy, which a real link is not); net = the observed instant with that taken off (ms)\n\n',
  );
  const rows = withObserver.flatMap((p) =>
    p.observer!.modes.map((m) => [
      p.profile,
      m.mode === 'none' ? 'none (naive)' : m.mode,
      String(m.matched),
      String(m.unmatched),
      ms(m.observedAbs.p50),
      ms(m.observedAbs.p90),
      ms(m.observedAbs.p99),
      ms(m.observedAbs.max),
      ms(m.observedSignedP50),
      pct(m.observedHitRate),
      ms(m.stampToWire.p50),
      ms(m.stampToWire.p99),
      ms(m.stampToWire.max),
      `${ms(m.inSim.p50)} / ${ms(m.inSim.p99)}`,
      `${ms(m.afterSim.p50)} / ${ms(m.afterSim.p99)}`,
      m.linkLate === undefined ? '-' : `${ms(m.linkLate.p50)} / ${ms(m.linkLate.p99)}`,
      m.netAbs === undefined ? '-' : `${ms(m.netAbs.p50)} / ${ms(m.netAbs.p99)} / ${ms(m.netAbs.max)}`,
    ]),
  );
  stdout.write(`${formatTable(['profile', 'mode', 'seen', 'unseen', 'observed p50', 'p90', 'p99', 'max', 'signed p50', 'hit', 'stamp-to-wire p50', 'p99', 'max', 'of it in the sim p50 / p99', 'after the sim p50 / p99', 'link late p50 / p99', 'net p50 / p99 / max'], rows)}\n`);
  stdout.write('\nHold release, where the timer lateness came from (ms): own clock = stamp - deadline on the agent\'s clock; estimate moved = deadline in mesh time at release - T\n\n');
  const holdRows = withObserver.map((p) => {
    const h = p.observer!.hold;
    return [
      p.profile,
      String(h.releases),
      pct(h.prebuiltShare),
      h.signedAtReleaseShare === undefined ? '-' : pct(h.signedAtReleaseShare),
      ms(h.ownClockLate.p50),
      ms(h.ownClockLate.p99),
      ms(h.ownClockLate.max),
      ms(h.estimateShift.p50),
      ms(h.estimateShift.p99),
      ms(h.wakeLate.p50),
      ms(h.wakeLate.p99),
      ms(h.wakeLate.max),
      ms(h.inPass.p99),
      ms(h.inPass.max),
      h.effectDelay === undefined ? '-' : `${ms(h.effectDelay.p50)} / ${ms(h.effectDelay.p99)}`,
      `${ms(h.margin.p50)} (${ms(h.margin.max)})`,
      h.spinTail === undefined ? '-' : `${ms(h.spinTail.p50)} (${ms(h.spinTail.max)})`,
      ms(h.runQueue.p50),
      ms(h.runQueue.p99),
      `${h.late.explainedByRunQueue}/${h.late.n}`,
    ];
  });
  stdout.write(
    `${formatTable(['profile', 'releases', 'pre-signed', 'signed in the release', 'own clock p50', 'p99', 'max', 'estimate moved p50', 'p99', 'timer woke late p50', 'p99', 'max', 'in pass p99', 'max', 'effect waited p50 / p99', 'margin p50 (max)', 'spin tail p50 (max)', 'waited for CPU p50', 'p99', 'late >1 ms: CPU wait covers it'], holdRows)}\n`,
  );
}
