/**
 * Named events of the scatter-gather engine. Every log line of the engine carries one of these
 * in its `event` field, so dashboards and alerts key on stable names, not on message text.
 */
export const SCATTER_EVENTS = Object.freeze({
  queued: 'operation.queued',
  started: 'operation.started',
  refused: 'operation.refused',
  bucketSent: 'operation.bucket_sent',
  holdSent: 'operation.hold_sent',
  sendFailed: 'operation.send_failed',
  decided: 'operation.decided',
  completed: 'operation.completed',
  resumed: 'operation.resumed',
  ackRefused: 'ack.refused',
  ackLate: 'ack.late',
  ackConflict: 'ack.conflict',
} as const);

export type ScatterEventName = (typeof SCATTER_EVENTS)[keyof typeof SCATTER_EVENTS];
