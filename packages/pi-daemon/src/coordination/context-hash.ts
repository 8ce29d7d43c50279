import { createHash } from 'node:crypto';
import { canonicalJson } from '@mesh30k/shared';
import type { StateStore } from '../ports.js';

/** SHA-256 of nothing: the context hash an agent reports in conflicts before it has a context. */
export const EMPTY_CONTEXT_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const STATE_KEY = 'agent.context_hash';
const HEX_64 = /^[0-9a-f]{64}$/;

/** payload_hash as the protocol defines it (SHA-256 over canonical JSON), synchronously. */
export function hashPayload(payload: unknown): string {
  return createHash('sha256').update(canonicalJson(payload)).digest('hex');
}

/** The agent's context hash ('' when it holds no context), persisted so it survives restarts. */
export class ContextHash {
  private current: string;

  constructor(
    private readonly state: StateStore,
    private readonly onChange: (hash: string) => void = () => undefined,
  ) {
    const stored = state.get<string>(STATE_KEY);
    this.current = typeof stored === 'string' && HEX_64.test(stored) ? stored : '';
  }

  get value(): string {
    return this.current;
  }

  /** The hash to put in a ConflictDetail, which needs 64 hex digits even with no context. */
  get forConflict(): string {
    return this.current === '' ? EMPTY_CONTEXT_HASH : this.current;
  }

  set(hash: string): void {
    if (!HEX_64.test(hash)) throw new RangeError('a context hash is 64 lower-case hex digits');
    if (hash === this.current) return;
    this.current = hash;
    this.state.set(STATE_KEY, hash);
    this.onChange(hash);
  }
}
