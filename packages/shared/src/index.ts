/**
 * @mesh30k/shared: the protocol and the math every MESH-30K tier shares. Runtime-neutral:
 * no I/O, no Node built-ins, no logging; it runs unchanged in Node and in workerd. Node's
 * native Ed25519 and key files live in the `@mesh30k/shared/node` entry point.
 */
export * from './lib/errors.js';
export * from './lib/clock.js';
export * from './lib/env-names.js';
export * from './lib/env-overlay.js';
export * from './lib/problem.js';
export * from './lib/http-semantics.js';
export * from './protocol/index.js';
export * from './signing/index.js';
export * from './identity/index.js';
export * from './replay/index.js';
export * from './fencing/index.js';
export * from './clock/index.js';
export * from './link/index.js';
export * from './schedule/index.js';
export * from './impedance/index.js';
export * from './quorum/index.js';
export * from './breaker/index.js';
export * from './health/index.js';
export * from './degradation/index.js';
export * from './conflicts/index.js';
export * from './operator/index.js';
export * from './metrics/index.js';
export * from './session/index.js';
