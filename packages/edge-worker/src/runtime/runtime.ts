import type { Clock } from '@mesh30k/shared';
import { parseConfig, type EdgeConfig } from '../config/config.js';
import { systemClock, timerSleep, type Sleep } from '../clock/system-clock.js';
import { EdgeError } from '../http/errors.js';
import type { AdmitResult, AgentStatePort, CompleteResult } from '../state/types.js';
import { createKeyRing, type KeyRing } from './key-ring.js';

/** Everything a request needs, built from the bindings; the one composition root of the Worker. */
export interface Runtime {
  config: EdgeConfig;
  keys: KeyRing;
  clock: Clock;
  sleep: Sleep;
  state: AgentStatePort;
}

/** What tests (or another host) may swap; the rest comes from the bindings. */
export interface RuntimeOverrides {
  clock?: Clock;
  sleep?: Sleep;
  state?: (env: Env, config: EdgeConfig) => AgentStatePort;
}

/**
 * Parsed config and imported keys, per bindings object. A cache, not state: everything in it
 * is derived from the bindings and is rebuilt identically by any isolate.
 */
const built = new WeakMap<object, Promise<{ config: EdgeConfig; keys: KeyRing }>>();

export async function runtimeFor(env: Env, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  let pending = built.get(env);
  if (!pending) {
    pending = build(env);
    built.set(env, pending);
    // A bad configuration is reported on every request until fixed, not cached as a rejection.
    pending.catch(() => built.delete(env));
  }
  const { config, keys } = await pending;
  return {
    config,
    keys,
    clock: overrides.clock ?? systemClock,
    sleep: overrides.sleep ?? timerSleep,
    state: (overrides.state ?? durableState)(env, config),
  };
}

async function build(env: Env): Promise<{ config: EdgeConfig; keys: KeyRing }> {
  const config = parseConfig(env as unknown as Record<string, unknown>);
  return { config, keys: await createKeyRing(config) };
}

/** The agent's Durable Object, one per agent id. */
function durableState(env: Env, config: EdgeConfig): AgentStatePort {
  const stub = env.AGENT_STATE.getByName(config.agentId);
  return {
    admit: (request) => call(async (): Promise<AdmitResult> => await stub.admit(request)),
    complete: (request) => call(async (): Promise<CompleteResult> => await stub.complete(request)),
  };
}

async function call<T>(rpc: () => Promise<T>): Promise<T> {
  try {
    return await rpc();
  } catch (cause) {
    throw new EdgeError('STATE_UNAVAILABLE', 'the agent state object did not answer', { cause });
  }
}
