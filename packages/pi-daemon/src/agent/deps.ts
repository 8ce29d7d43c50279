import type { Clock, Ed25519, HmacSha256, KeyResolver, OffsetEstimatorOverrides, Signer, Verb } from '@mesh30k/shared';
import type { Logger } from 'pino';
import type { PreciseTimer } from '../clock/precise-timer.js';
import type { ReadyEvent } from '../coordination/ready-event.js';
import type { EnrollmentHooks } from '../enrollment/enrollment-waiter.js';
import type { DiscoveryResult } from '../enrollment/lead-discovery.js';
import type { VerbHandler } from '../coordination/handlers.js';
import type { HeartbeatAuth } from '../heartbeat/heartbeat-session.js';
import type { BeatScheduler } from '../heartbeat/scheduler.js';
import type { Bus } from '../nats/bus.js';
import type { Inbox } from '../nats/inbox.js';
import type { HealthSampler, Outbox, ServiceNotifier, StateStore } from '../ports.js';
import type { SensorSource } from '../sensors/sensor-hub.js';
import type { AgentIdentity, AgentTuning } from './options.js';
import type { BurstBudget } from '../heartbeat/burst-budget.js';

/**
 * Process-wide services many agents can share. A real daemon leaves them out and the agent
 * builds its own; simulation passes one of each to thousands of virtual agents, so they share
 * one subscription per group subject, one heartbeat timer and one precise release timer.
 */
export interface SharedRuntime {
  inbox?: Inbox;
  beats?: BeatScheduler;
  releases?: PreciseTimer;
  /** Caps the fast start-up beats of everyone sharing it (a sim's fleet); none: no cap. */
  burst?: BurstBudget;
}

/** Everything an Agent needs, in one object; main.ts and the simulator build it. */
export interface AgentDeps {
  identity: AgentIdentity;
  /** The agent's own clock (the true clock on a Pi, a SkewedClock in simulation). */
  clock: Clock;
  signer: Signer;
  /** For verifying what the lead signs. */
  ed25519: Ed25519;
  leadKeys: KeyResolver;
  bus: Bus;
  outbox: Outbox;
  state: StateStore;
  health: Pick<HealthSampler, 'latest'>;
  logger: Logger;
  notifier?: ServiceNotifier;
  handlers?: Partial<Record<Verb, VerbHandler>>;
  /** Field sensors and outputs (sensors/): started with the agent, safe states set at stop. */
  sensors?: SensorSource;
  config?: Partial<AgentTuning>;
  shared?: SharedRuntime;
  /** Jitter source; Math.random by default. */
  random?: () => number;
  estimator?: OffsetEstimatorOverrides;
  /** Asks to join while the lead does not know this agent (a Pi; simulated agents are enrolled up front). */
  enrollment?: EnrollmentHooks;
  /**
   * Learns the lead's keys from their root-signed enrollments before beating (trust_roots
   * without lead_public_key); told when a frame in the lead's name verifies with none (`doubt`).
   */
  leadKey?: { ensure(): Promise<DiscoveryResult>; doubt?(): void };
  /** How heartbeats are authenticated (config heartbeat.auth); default `session`. */
  heartbeatAuth?: HeartbeatAuth;
  /**
   * Schema-check every tagged heartbeat this agent builds (default), or only its first: a sim
   * of thousands builds them all with the same code, and the lead checks every one anyway.
   */
  heartbeatSelfCheck?: 'every' | 'first';
  /** HMAC-SHA256 for session tags; default node:crypto's. */
  hmac?: HmacSha256;
  /** Told of every READY release (simulation records true arrival times with it). */
  onReady?: (event: ReadyEvent) => void;
}
