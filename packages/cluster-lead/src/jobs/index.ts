export { JOB_KINDS, JOB_STATES, JobBoard, MAX_JOBS, type JobEnd, type JobKind, type JobStart, type JobState, type JobView, type JobWork } from './job-board.js';
