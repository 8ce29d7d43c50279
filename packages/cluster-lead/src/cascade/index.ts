/** The cascade: child leads report to their parent, cascades flow down the tree (spec 3.3). */
export { createCascadeService } from './service.js';
export type { CascadeService, CascadeStats } from './service.js';
export type { CascadeDeps, CascadeIdentity, ParentLead, RunScatter, ScatterRunHandle, SubtreeSource } from './ports.js';
export { CascadeOptions, resolveCascadeOptions } from './options.js';
export type { CascadeOptionsInput, ResolvedCascadeOptions } from './options.js';
export { CascadeRequest } from './request.js';
export type { CascadePhaseResult, CascadeRequestInput, CascadeResult, ChildOutcome, OwnOutcome } from './request.js';
export { CASCADE_STRATEGIES, PARALLEL_READY_RATE, PRIORITY_ORDER, WAVE_AGENT_READY_RATE, WAVE_LEAD_CONFIRM_RATE, thresholdsFor } from './strategies.js';
export type { CascadeStrategy, PhaseThresholds } from './strategies.js';
export { CASCADE_EVENTS } from './events.js';
export type { ChildLeadEntry, ChildLeadView, ChildTableStore } from './child-table.js';
export { registrySubtree } from './registry-subtree.js';
