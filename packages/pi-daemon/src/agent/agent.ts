import { ImpedanceProfiler, ReplayGuard, SIGNER_HEADER } from '@mesh30k/shared';
import { nodeHmacSha256, nodeSessionCrypto } from '@mesh30k/shared/node';
import type { MeshMode } from '@mesh30k/shared';
import type { Logger } from 'pino';
import { AgentClock } from '../clock/agent-clock.js';
import { PreciseTimer } from '../clock/precise-timer.js';
import { runQueueWaitReader } from '../clock/run-queue.js';
import { AckSender } from '../coordination/ack-sender.js';
import { ContextHash } from '../coordination/context-hash.js';
import { ControlHandler } from '../coordination/control.js';
import { CoordinationEngine } from '../coordination/engine.js';
import { FreezeState } from '../coordination/freeze.js';
import { handlerRegistry } from '../coordination/handlers.js';
import { persistentLeaseFence } from '../coordination/lease-fence.js';
import { OutboxRelay } from '../coordination/outbox-relay.js';
import { ProbeResponder } from '../coordination/probe.js';
import { HeartbeatTask, type HeartbeatHints } from '../heartbeat/heartbeat.js';
import { BeatScheduler, type BeatHandle } from '../heartbeat/scheduler.js';
import type { Unsubscribe } from '../nats/bus.js';
import type { ConnectionEvent } from '../nats/events.js';
import { MeshInbox, type Inbox, type InboxDelivery, type InboxListener } from '../nats/inbox.js';
import type { DeadLetterStats, OutboxStats } from '../ports.js';
import type { AgentStatus } from './status-report.js';
import type { AgentContext } from './context.js';
import { countCode, newCounters, type AgentCounters } from './counters.js';
import type { AgentDeps } from './deps.js';
import { LogEvent } from '../logging/events.js';
import { SensorEventSender } from '../sensors/event-sender.js';
import { resolveTuning } from './options.js';

type Lifecycle = 'new' | 'running' | 'stopping' | 'stopped';

/**
 * One agent: heartbeats and clock, coordination, freeze, probes and the outbox, wired from one
 * deps object. The same class runs on a Pi and as each virtual agent of the simulator; only
 * the clock, health, handlers and shared runtime differ. Nothing happens until start().
 */
export class Agent {
  readonly clock: AgentClock;
  private readonly ctx: AgentContext;
  private readonly log: Logger;
  private readonly inbox: Inbox;
  private readonly beats: BeatScheduler;
  private readonly releases: PreciseTimer;
  private readonly owned: { beats: boolean; releases: boolean };
  private readonly freeze: FreezeState;
  private readonly engine: CoordinationEngine;
  private readonly relay: OutboxRelay;
  private readonly sender: AckSender;
  private readonly heartbeat: HeartbeatTask;
  private readonly control: ControlHandler;
  private readonly probe: ProbeResponder;
  private readonly profiler: ImpedanceProfiler;
  private readonly sensorEvents: SensorEventSender;
  private sensorsStarted: Promise<void> = Promise.resolve();
  private lifecycle: Lifecycle = 'new';
  private beatHandle: BeatHandle | undefined;
  private unsubscribers: Unsubscribe[] = [];
  private mode: MeshMode = 'FULL';

  constructor(private readonly deps: AgentDeps) {
    const { identity } = deps;
    const tuning = resolveTuning(deps.config);
    this.log = deps.logger.child({ agent_id: identity.agentId, cluster_id: identity.clusterId });
    this.clock = new AgentClock(deps.clock, deps.estimator);
    const meshClock = { now: () => this.clock.meshNow() };
    this.ctx = {
      identity,
      tuning,
      clock: this.clock,
      self: { id: identity.agentId, signer: deps.signer },
      bus: deps.bus,
      log: this.log,
      counters: newCounters(),
      outbox: deps.outbox,
      state: deps.state,
      ed25519: deps.ed25519,
      leadKeys: deps.leadKeys,
      leaseFence: persistentLeaseFence(deps.state, identity.leadId, this.log),
      doubtLeadKey: () => deps.leadKey?.doubt?.(),
    };
    this.releases = deps.shared?.releases ?? new PreciseTimer({ runQueueWaitMs: runQueueWaitReader() });
    this.beats = deps.shared?.beats ?? new BeatScheduler({ quiet: this.releases });
    this.owned = { beats: deps.shared?.beats === undefined, releases: deps.shared?.releases === undefined };
    this.inbox =
      deps.shared?.inbox ?? new MeshInbox({ bus: deps.bus, ed25519: deps.ed25519, resolveKey: deps.leadKeys, logger: this.log });
    const replay = new ReplayGuard({ clock: meshClock, ttlMs: tuning.replayWindowMs, skewMs: tuning.replaySkewMs });
    const context = new ContextHash(deps.state, (hash) => this.profiler.setContextHash(hash));
    this.freeze = new FreezeState(deps.state, this.log);
    this.profiler = new ImpedanceProfiler(
      {
        agent_id: identity.agentId,
        agent_class: identity.agentClass,
        sector_id: identity.sectorId,
        cluster_id: identity.clusterId,
        capabilities: [...identity.capabilities],
        current_context_hash: context.value,
      },
      { clock: meshClock, queueDepth: () => this.engine.queueDepth },
      { sampleCapacity: tuning.sampleCapacity },
    );
    this.relay = new OutboxRelay(this.ctx);
    this.sender = new AckSender(this.ctx, () => this.relay.scheduleRetry());
    this.sensorEvents = new SensorEventSender(this.ctx, () => this.relay.kick(), () => this.heartbeat.bootId);
    this.engine = new CoordinationEngine({
      ctx: this.ctx,
      replay,
      freeze: this.freeze,
      context,
      handlers: handlerRegistry(deps.handlers),
      sender: this.sender,
      releases: this.releases,
      profiler: this.profiler,
      onReady: deps.onReady,
    });
    this.control = new ControlHandler({
      ctx: this.ctx,
      replay,
      freeze: this.freeze,
      onFrozen: () => this.onFrozen(),
      onThawed: () => deps.notifier?.status('thawed: accepting work'),
    });
    this.probe = new ProbeResponder({ ctx: this.ctx, replay, frozen: () => this.freeze.frozen, stats: () => this.engine.stats() });
    this.heartbeat = new HeartbeatTask({
      ctx: this.ctx,
      profiler: this.profiler,
      health: deps.health,
      frozen: () => this.freeze.frozen,
      freezeVersion: () => this.freeze.version,
      outboxDepth: () => this.outboxStats().depth,
      sensors: () => this.sensorEvents.summary(),
      random: deps.random ?? Math.random,
      burstAllowed: () => deps.shared?.burst?.take() ?? true,
      onHints: (hints) => this.applyHints(hints),
      enrollment: deps.enrollment,
      leadKey: deps.leadKey,
      auth: deps.heartbeatAuth ?? 'session',
      ...(deps.heartbeatSelfCheck === undefined ? {} : { selfCheck: deps.heartbeatSelfCheck }),
      hmac: deps.hmac ?? nodeHmacSha256,
      sessionCrypto: nodeSessionCrypto,
    });
  }

  get id(): string {
    return this.deps.identity.agentId;
  }

  /** The open heartbeat session's id; undefined while heartbeats are signed (docs/adr/0004). */
  get heartbeatSession(): string | undefined {
    return this.heartbeat.sessionId;
  }

  get frozen(): boolean {
    return this.freeze.frozen;
  }

  get running(): boolean {
    return this.lifecycle === 'running';
  }

  /** Subscribes, starts heartbeating and, when connected, delivers what the outbox holds. */
  start(): void {
    if (this.lifecycle !== 'new') throw new Error(`agent ${this.id} cannot start: it is ${this.lifecycle}`);
    this.lifecycle = 'running';
    const { identity } = this.deps;
    const listen = (route: Parameters<Inbox['listen']>[0], onMessage: (delivery: InboxDelivery) => void, onRefused?: InboxListener['onRefused']): void => {
      const listener: InboxListener = {
        onMessage,
        onRefused: (refusal, subject, message) => {
          countCode(this.ctx.counters.refusedByCode, refusal.code);
          if (refusal.code === 'BAD_SIGNATURE' && message.headers.get(SIGNER_HEADER) === identity.leadId) this.ctx.doubtLeadKey?.();
          onRefused?.(refusal, subject, message);
        },
      };
      this.unsubscribers.push(this.inbox.listen(route, listener));
    };
    // A refused COORDINATE may be the lead's work this agent cannot run: answered TRANSIT, not dropped.
    const unrunnable: InboxListener['onRefused'] = (refusal, _subject, message) => {
      this.engine.onRefusedFrame(message, refusal).catch((error: unknown) => this.log.error({ event: LogEvent.HANDLER_FAILED, err: error }, 'answering a refused COORDINATE failed'));
    };
    listen({ family: 'coordinateGroup', id: identity.leadId }, (d) => this.engine.onCoordinate(d), unrunnable);
    listen({ family: 'coordinateAgent', id: identity.agentId }, (d) => this.engine.onCoordinate(d), unrunnable);
    listen({ family: 'control', id: identity.leadId }, (d) => this.control.onControl(d));
    listen({ family: 'probe', id: identity.agentId }, (d) => this.probe.onPing(d));
    this.unsubscribers.push(this.deps.bus.onEvent((event) => this.onConnection(event)));
    // Not connected yet: the 'connected' event brings the first beat forward.
    this.beatHandle = this.beats.add(this.heartbeat, this.ctx.bus.connected ? this.firstBeatDelay() : this.ctx.tuning.heartbeatIntervalMs);
    this.relay.kick();
    const sensors = this.deps.sensors;
    if (sensors !== undefined) {
      this.sensorsStarted = sensors.start((reading) => this.sensorEvents.send(reading)).catch((error: unknown) => {
        this.log.error({ event: LogEvent.SENSOR_FAILED, err: error }, 'sensors failed to start');
      });
    }
    this.log.info({ event: LogEvent.AGENT_STARTED, lead: identity.leadId, frozen: this.freeze.frozen }, 'agent started');
  }

  /**
   * Graceful stop: intake closes, queued and held work is handed back (TRANSIT), running work
   * gets the grace period, every ACK is confirmed or in the outbox. The bus is the caller's.
   */
  async stop(): Promise<void> {
    if (this.lifecycle !== 'running') return;
    this.lifecycle = 'stopping';
    this.log.info({ event: LogEvent.AGENT_STOPPING }, 'agent stopping');
    this.closeIntake();
    await this.engine.shutdown(this.ctx.tuning.shutdownGraceMs);
    // Outputs to their safe states; those changes are queued like any reading.
    await this.sensorsStarted;
    await this.deps.sensors?.stop();
    await this.sender.flush();
    await this.relay.stop();
    this.releaseOwned();
    this.lifecycle = 'stopped';
    this.log.info({ event: LogEvent.AGENT_STOPPED, counters: this.ctx.counters }, 'agent stopped');
  }

  /** Simulated crash: stops heartbeating and answering at once, without handing anything back. */
  crash(): void {
    if (this.lifecycle !== 'running') return;
    this.closeIntake();
    this.engine.abandon();
    void this.relay.stop();
    this.releaseOwned();
    this.lifecycle = 'stopped';
    this.log.warn({ event: LogEvent.AGENT_CRASHED }, 'agent crashed (simulated)');
  }

  stats(): AgentCounters {
    return this.ctx.counters;
  }

  status(): AgentStatus {
    return {
      agentId: this.id,
      leadId: this.deps.identity.leadId,
      clusterId: this.deps.identity.clusterId,
      connected: this.ctx.bus.connected,
      frozen: this.freeze.frozen,
      frozenReason: this.freeze.reason,
      mode: this.mode,
      heartbeatIntervalMs: this.heartbeat.interval,
      lastHeartbeatLocal: this.heartbeat.lastAnsweredAt,
      lastBeat: this.heartbeat.lastBeat,
      queueCapacity: this.ctx.tuning.queueCapacity,
      clock: this.clock.report(),
      queueDepth: this.engine.queueDepth,
      held: this.engine.heldCount,
      outbox: this.outboxStats(),
      deadLetters: this.deadLetterStats(),
      processing: this.engine.stats(),
      counters: this.ctx.counters,
      sensors: this.deps.sensors === undefined ? null : { ...this.deps.sensors.status(), last: this.sensorEvents.summary(), readings: this.sensorEvents.counts() },
    };
  }

  /** FREEZE took effect: queued work goes back, and systemd's status line says so. */
  private onFrozen(): void {
    this.engine.handBackQueued('FROZEN', 'the agent was frozen');
    this.deps.notifier?.status(`frozen: ${this.freeze.reason}`);
  }

  /**
   * When the first beat after start or reconnect goes: soon when a burst is configured and the
   * shared burst budget allows it, else anywhere in one interval, so a fleet that (re)connects
   * together does not beat together.
   */
  private firstBeatDelay(): number {
    const { burstSamples, burstIntervalMs, heartbeatIntervalMs } = this.ctx.tuning;
    const fast = burstSamples > 0 && (this.deps.shared?.burst?.take() ?? true);
    return (this.deps.random ?? Math.random)() * (fast ? burstIntervalMs : heartbeatIntervalMs);
  }

  private closeIntake(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    this.beatHandle?.remove();
    this.beatHandle = undefined;
    this.heartbeat.close();
  }

  private releaseOwned(): void {
    if (this.owned.beats) this.beats.stop();
    if (this.owned.releases) this.releases.stop();
  }

  private outboxStats(): OutboxStats {
    try {
      return this.deps.outbox.stats();
    } catch {
      return { depth: 0, dropped: 0, oldestQueuedAt: null };
    }
  }

  private deadLetterStats(): DeadLetterStats {
    try {
      return this.deps.outbox.deadLetterStats();
    } catch {
      return { count: 0, total: 0, oldestDeadAt: null };
    }
  }

  private onConnection(event: ConnectionEvent): void {
    switch (event.type) {
      case 'connected':
      case 'reconnected':
        this.log.info({ event: LogEvent.AGENT_CONNECTED, server: event.server }, 'connected to NATS');
        this.relay.kick();
        // Re-measure soon after an outage rather than a full interval later.
        this.beatHandle?.reschedule(this.firstBeatDelay());
        return;
      case 'disconnected':
        this.log.warn({ event: LogEvent.AGENT_DISCONNECTED, server: event.server }, 'disconnected from NATS');
        return;
      case 'connecting':
      case 'reconnecting':
      case 'stale':
      case 'lame-duck':
      case 'error':
      case 'closed':
      case 'stopped':
        return;
    }
  }

  /**
   * Applies what the lead's reply says. The frozen flag only ever freezes: thawing takes an
   * explicit, signed THAW, so a lead that lost its state (or a reply older than a FREEZE) can
   * never release the big red button by omission.
   */
  private applyHints(hints: HeartbeatHints): void {
    // A reply means connected and synced: whatever waits in the outbox can go now.
    this.relay.kick();
    if (hints.frozen && !this.freeze.frozen && hints.freezeVersion === this.freeze.version) {
      if (this.freeze.freeze('the lead reports this agent frozen', 'heartbeat')) this.onFrozen();
    }
    if (hints.mode !== this.mode) {
      this.log.info({ event: LogEvent.MESH_MODE_CHANGED, from: this.mode, to: hints.mode }, `mesh mode ${hints.mode}`);
      this.mode = hints.mode;
    }
    if (hints.intervalMs !== undefined && this.heartbeat.setInterval(hints.intervalMs)) {
      this.log.info({ event: LogEvent.HEARTBEAT_INTERVAL_CHANGED, interval: this.heartbeat.interval }, 'heartbeat interval changed by the lead');
      this.beatHandle?.reschedule(this.heartbeat.nextIntervalMs());
    }
  }
}
