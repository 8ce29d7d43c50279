export {
  BUFFER_CONFIDENCE_PIVOT,
  DEFAULT_BUFFER_FLOOR_MS,
  DEFAULT_BUFFER_SIGMAS,
  HOLD_TAIL_MARGIN,
  HOLD_TAIL_Z,
  bufferFor,
  feasibleLeadTimeFor,
  holdLeadTimeFor,
  invalidTimingField,
  leadTimeFor,
  leadTimeIn,
  logNormalQuantile,
  medianLeadTimeFor,
} from './lead-time.js';
export type { AgentTiming, BufferOptions, LeadTime } from './lead-time.js';
export { DEFAULT_HOLD_MARGIN_MS, MODE_PREFERENCE, computeSendSchedule, pickReleaseMode, scheduledSends } from './send-schedule.js';
export type {
  ScheduleEntry,
  ScheduledSend,
  SendSchedule,
  SendScheduleInput,
  SendScheduleOptions,
  SkipReason,
  SkippedSend,
} from './send-schedule.js';
export { DEFAULT_BUCKET_MS, bucketSends } from './buckets.js';
export type { SendBucket } from './buckets.js';
export {
  DEFAULT_ARRIVAL_WINDOW_MS,
  DEFAULT_MAX_HORIZON_MS,
  DEFAULT_SCHEDULING_SLACK_MS,
  chooseTargetTime,
  validateTargetTime,
} from './target-time.js';
export type { TargetSetBy, TargetTime, TargetTimeOptions } from './target-time.js';
