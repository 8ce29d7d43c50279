export { EpochFence, type FenceVerdict } from './epoch-fence.js';
