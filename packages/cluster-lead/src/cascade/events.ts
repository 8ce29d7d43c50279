/** Event names of the cascade's pino lines (the `event` field). */
export const CASCADE_EVENTS = {
  summarySent: 'cascade.summary_sent',
  summaryFailed: 'cascade.summary_failed',
  summaryRefused: 'cascade.summary_refused',
  childSeen: 'cascade.child_seen',
  frameRefused: 'cascade.frame_refused',
  phaseStarted: 'cascade.phase_started',
  phaseCompleted: 'cascade.phase_completed',
  failedAtSector: 'cascade.failed_at_sector',
  degraded: 'cascade.degraded',
  coordinateTaken: 'cascade.coordinate_taken',
  coordinateRefused: 'cascade.coordinate_refused',
  reportSent: 'cascade.report_sent',
  reportFailed: 'cascade.report_failed',
  reportLate: 'cascade.report_late',
  badReport: 'cascade.bad_report',
} as const;

export type CascadeEventName = (typeof CASCADE_EVENTS)[keyof typeof CASCADE_EVENTS];
