export { keygen } from './keygen.js';
export type { KeygenOptions, KeygenResult } from './keygen.js';
