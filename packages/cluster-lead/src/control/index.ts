export { CONTROL_EVENTS, FreezeControl, FreezeError, type ControlPublisher, type FreezeControlDeps, type FreezeErrorCode, type FreezeOutcome, type FreezeRequest, type FreezeScope } from './freeze-control.js';
export { Operations, type OperationRefusal, type OperationState, type OperationView, type OperationsDeps, type SubmitOutcome } from './operations.js';
export { heal, type HealDeps, type HealResult } from './heal.js';
export { MODE_REACTION_EVENTS, ModeReactions, type ModeReactionDeps, type OperatorAlert } from './mode-reactions.js';
