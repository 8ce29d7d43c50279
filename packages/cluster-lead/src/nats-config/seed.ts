import { readFileSync } from 'node:fs';
import { nkeys } from './nkeys.js';
import { LeadError, describeError } from '../lib/errors.js';

/**
 * Reads an nkey seed file (SU..., as `mesh-lead nats-user` writes it) and checks it is a
 * user seed; `field` names the config key in the error.
 */
export function readNkeySeed(path: string, field: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (cause) {
    throw new LeadError('KEY_UNREADABLE', `config ${field}: cannot read ${path}: ${describeError(cause)}`, { cause });
  }
  const seed = new TextEncoder().encode(text);
  try {
    if (!nkeys.fromSeed(seed).getPublicKey().startsWith('U')) throw new Error('not a user seed');
  } catch (cause) {
    throw new LeadError('CONFIG_INVALID', `config ${field}: ${path} does not hold a NATS user nkey seed (SU...)`, { cause });
  }
  return seed;
}
