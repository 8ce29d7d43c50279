export { JOB_STATES, JobBoard, MAX_JOBS, type JobEnd, type JobKind, type JobStart, type JobState, type JobView } from './job-board.js';
