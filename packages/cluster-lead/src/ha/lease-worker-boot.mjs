// Boots the lease thread from TypeScript source (tests, and runs without a build): registers
// tsx in this thread, then loads the module named by workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
