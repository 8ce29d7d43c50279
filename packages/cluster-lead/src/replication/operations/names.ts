/**
 * Names of the JetStream streams that carry one lead group's operations side (ADR 0008,
 * "Operations"), from `store.jetstream.prefix` and the cluster id. Ids become subject tokens:
 * one outside letters, digits, _ and - is base64url-encoded behind "=", so it cannot hold
 * ".", "*" or ">" and cannot collide with a plain id.
 */
const PLAIN = /^[A-Za-z0-9_-]+$/;

export function subjectToken(id: string): string {
  return PLAIN.test(id) ? id : `=${Buffer.from(id, 'utf8').toString('base64url')}`;
}

export interface OpsNames {
  /** Runs in flight (begun, acked, ended), the operations history, idempotency keys. */
  readonly opsStream: string;
  readonly opsSubjects: string;
  readonly runBegun: (operationId: string) => string;
  readonly runAcked: (operationId: string, agentId: string) => string;
  readonly runAcks: (operationId: string) => string;
  readonly runEnded: (operationId: string) => string;
  readonly history: (operationId: string) => string;
  readonly idempotency: (caller: string, key: string) => string;
  /** One job of the API's board, its latest view. */
  readonly job: (jobId: string) => string;
  /** The conflict log: append only. */
  readonly conflictsStream: string;
  readonly conflict: string;
  /** Dead letters: the latest state of each, by id. */
  readonly deadLettersStream: string;
  readonly deadLetterSubjects: string;
  readonly deadLetter: (id: number) => string;
  /** Sensor readings: a bounded history per (agent, sensor). */
  readonly sensorsStream: string;
  readonly sensorSubjects: string;
  readonly sensorReading: (agentId: string, sensorId: string) => string;
}

export function opsNames(prefix: string, clusterId: string): OpsNames {
  const upper = `${prefix}_${clusterId}`.toUpperCase();
  const base = `${prefix}.${clusterId}`;
  const op = (kind: string, operationId: string) => `${base}.ops.${kind}.${subjectToken(operationId)}`;
  return {
    opsStream: `${upper}_OPS`,
    opsSubjects: `${base}.ops.>`,
    runBegun: (id) => op('run', id),
    runAcked: (id, agentId) => `${op('ack', id)}.${subjectToken(agentId)}`,
    runAcks: (id) => `${op('ack', id)}.*`,
    runEnded: (id) => op('end', id),
    history: (id) => op('history', id),
    idempotency: (caller, key) => `${base}.ops.idem.${subjectToken(caller)}.${subjectToken(key)}`,
    job: (id) => op('job', id),
    conflictsStream: `${upper}_CONFLICTS`,
    conflict: `${base}.conflicts`,
    deadLettersStream: `${upper}_DEADLETTERS`,
    deadLetterSubjects: `${base}.deadletters.*`,
    deadLetter: (id) => `${base}.deadletters.${id}`,
    sensorsStream: `${upper}_SENSORS`,
    sensorSubjects: `${base}.sensors.*.*`,
    sensorReading: (agentId, sensorId) => `${base}.sensors.${subjectToken(agentId)}.${subjectToken(sensorId)}`,
  };
}
