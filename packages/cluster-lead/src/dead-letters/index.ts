export { DEAD_LETTER_EVENTS, DeadLetterDesk, type DeadLetterDeskDeps, type ReplayOutcome, type ReplayResult, type Replayer } from './desk.js';
export { coordinateReplayer, delegationReplayer, escalationReplayer } from './replayers.js';
