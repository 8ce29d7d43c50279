export { createLogger, domainLogger } from './logger.js';
export type { LogIds, Logger, LoggerOptions } from './logger.js';
export { LogEvent } from './events.js';
export { SYSLOG_PRIORITY, isJournalStream, syslogPriority } from '@mesh30k/shared/node';
