// Sensor readings, both sides: what each agent took (its per-sensor sequence numbers) against
// what the lead stored, per (agent, sensor, boot). A reading is identified by (agent, sensor,
// seq): the agent's seq keeps counting across its restarts, so a seq names one reading whatever
// boot took it. Pure: tested on its own (sensor-ledger.test.ts).

/** One run of one agent's sensor: the seqs it took in that run. */
export interface ProducedStream {
  agentId: string;
  sensorId: string;
  /** Which run of the agent took them: a daemon's log file, or `sim` (a sim runs once). */
  boot: string;
  seqs: readonly number[];
  /**
   * True when `seqs` is every reading the agent took (a daemon's log); false when it is only
   * those up to the last the agent reported (a sim's heartbeat summary), so readings stored
   * beyond it are not strangers.
   */
  complete: boolean;
}

/** A reading in the lead's history. */
export interface StoredReading {
  agentId: string;
  sensorId: string;
  seq: number;
  bootId: string;
}

export interface SensorStreamLoss {
  agentId: string;
  sensorId: string;
  boot: string;
  /** Readings this record was the first to list. */
  produced: number;
  lost: number;
  /** The first lost seqs, for a look at the agent's log. */
  lostSeqs: number[];
}

export interface SensorLedger {
  /** (agent, sensor, boot) records listing at least one reading. */
  streams: number;
  produced: number;
  /** Of the readings produced, those the lead stored. */
  stored: number;
  lost: number;
  /** Stored readings beyond the first for the same (agent, sensor, seq). */
  duplicated: number;
  /** Stored readings of a sensor whose records are complete, that no agent record lists though it lists a later one. */
  unmatchedAtLead: number;
  lostBy: SensorStreamLoss[];
}

const LOST_SEQS_SHOWN = 5;

const key = (agentId: string, sensorId: string, seq: number): string => `${agentId}\u0000${sensorId}\u0000${seq}`;
const sensorKey = (agentId: string, sensorId: string): string => `${agentId}\u0000${sensorId}`;

/** Seqs 0..lastSeq: what an agent that starts from seq 0 took up to the one it last reported. */
export function seqsThrough(lastSeq: number): number[] {
  return Array.from({ length: Math.max(0, lastSeq + 1) }, (_, i) => i);
}

export function sensorLedger(produced: readonly ProducedStream[], stored: readonly StoredReading[]): SensorLedger {
  const copies = new Map<string, number>();
  for (const r of stored) copies.set(key(r.agentId, r.sensorId, r.seq), (copies.get(key(r.agentId, r.sensorId, r.seq)) ?? 0) + 1);
  const listed = new Set<string>();
  /** Per sensor whose records are complete: the last seq they list (later ones were taken after the records were read). */
  const complete = new Map<string, number>();
  const ledger: SensorLedger = { streams: 0, produced: 0, stored: 0, lost: 0, duplicated: 0, unmatchedAtLead: 0, lostBy: [] };
  for (const stream of produced) {
    const seqs = [...new Set(stream.seqs)];
    if (seqs.length === 0) continue;
    ledger.streams++;
    if (stream.complete) {
      const sk = sensorKey(stream.agentId, stream.sensorId);
      complete.set(sk, Math.max(complete.get(sk) ?? -1, ...seqs));
    }
    const lostSeqs: number[] = [];
    let fresh = 0;
    for (const seq of seqs) {
      const k = key(stream.agentId, stream.sensorId, seq);
      if (listed.has(k)) continue; // the same reading listed twice by the agent's records
      listed.add(k);
      fresh++;
      if ((copies.get(k) ?? 0) > 0) ledger.stored++;
      else lostSeqs.push(seq);
    }
    ledger.produced += fresh;
    ledger.lost += lostSeqs.length;
    if (lostSeqs.length > 0) {
      ledger.lostBy.push({ agentId: stream.agentId, sensorId: stream.sensorId, boot: stream.boot, produced: fresh, lost: lostSeqs.length, lostSeqs: lostSeqs.sort((a, b) => a - b).slice(0, LOST_SEQS_SHOWN) });
    }
  }
  for (const [k, n] of copies) {
    ledger.duplicated += n - 1;
    const [agentId, sensorId, seq] = k.split('\u0000') as [string, string, string];
    if (!listed.has(k) && Number(seq) <= (complete.get(sensorKey(agentId, sensorId)) ?? -1)) ledger.unmatchedAtLead++;
  }
  ledger.lostBy.sort((a, b) => b.lost - a.lost);
  return ledger;
}
