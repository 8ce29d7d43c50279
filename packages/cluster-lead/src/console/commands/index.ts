import type { Command } from '../context.js';
import { agentCommand, agentsCommand } from './agents.js';
import { askCommand } from './ask.js';
import { breakersCommand } from './breakers.js';
import { broadcastCommand } from './broadcast.js';
import { conflictsCommand } from './conflicts.js';
import { contextCommand } from './context.js';
import { deadLettersCommand } from './dead-letters.js';
import { delegateCommand } from './delegate.js';
import { edgeCommand } from './edge.js';
import { enrollCommand, enrollmentsCommand } from './enroll.js';
import { freezeCommandDef, thawCommandDef } from './freeze.js';
import { healCommand } from './heal.js';
import { identifyCommand } from './identify.js';
import { loginCommand } from './login.js';
import { modeCommand } from './mode.js';
import { cancelCommand, operationCommand } from './operation.js';
import { sensorsCommand } from './sensors.js';
import { statusCommand } from './status.js';

/** Every command, in the order `mesh --help` lists them. */
export const COMMANDS: readonly Command[] = [
  statusCommand,
  agentsCommand,
  agentCommand,
  broadcastCommand,
  askCommand,
  delegateCommand,
  healCommand,
  freezeCommandDef,
  thawCommandDef,
  conflictsCommand,
  deadLettersCommand,
  breakersCommand,
  sensorsCommand,
  identifyCommand,
  modeCommand,
  operationCommand,
  cancelCommand,
  enrollmentsCommand,
  enrollCommand,
  edgeCommand,
  contextCommand,
  loginCommand,
];
