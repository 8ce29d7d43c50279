export * from './enums.js';
export * from './primitives.js';
export * from './health.js';
export * from './messages.js';
export * from './subjects.js';
export * from './wire.js';
export * from './ids.js';
export * from './payload-hash.js';
