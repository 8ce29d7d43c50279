export { EpochFence, type EpochFenceOptions, type FenceVerdict } from './epoch-fence.js';
