/** The nats client's nkeys library, typed (see typedNkeys in @mesh30k/shared/node). */
import { typedNkeys } from '@mesh30k/shared/node';
import { nkeys as untyped } from 'nats';

export type { NkeyPair } from '@mesh30k/shared/node';
export const nkeys = typedNkeys(untyped);
