/**
 * Owns the configured sensors and outputs: claims GPIO lines through one GpioPort, conditions
 * input edges, polls 1-Wire and command sensors, drives outputs (initial state at start, safe
 * state at stop) and hands every reading and output change to the sink (the agent's SENSOR_EVENT
 * sender). A device that fails is logged, reported as an error reading and shown in status;
 * the others keep working.
 */
import type { SensorKind, SensorValue } from '@mesh30k/shared';
import type { Logger } from 'pino';
import { LogEvent } from '../logging/events.js';
import { runCommandSensor, type CommandResult } from './command-sensor.js';
import { chooseGpioPort } from './choose-backend.js';
import type { CommandDevice, GpioInputDevice, GpioOutputDevice, OneWireDevice, SensorsConfig } from './config.js';
import { GpioError, type GpioInputLine, type GpioOutputLine, type GpioPort } from './gpio-port.js';
import { InputConditioner, realTimers, type Timers } from './input-conditioner.js';
import { findActLed, takeLed, type LedHandle } from './leds.js';
import { readDs18b20, type OneWireResult } from './onewire.js';

export interface SensorReading {
  sensorId: string;
  sensorKind: SensorKind;
  value: SensorValue;
  unit?: string;
  /** Agent clock when the value was read (or the output written). */
  sampledAtLocal: number;
  error?: string;
}

export type ReadingSink = (reading: SensorReading) => void;

/** What `mesh-agent status` shows about sensors. */
export interface SensorsStatus {
  backend: { name: string; reason: string } | null;
  devices: { id: string; kind: SensorKind; ok: boolean; error?: string }[];
}

/** What the agent runs: started with a sink, stopped on SIGTERM (outputs to their safe state). */
export interface SensorSource {
  start(sink: ReadingSink): Promise<void>;
  stop(): Promise<void>;
  status(): SensorsStatus;
}

export interface IdentifyResult {
  led: string | null;
  output: string | null;
  durationMs: number;
  /** Resolves when blinking ended and the LED's trigger is back. */
  done: Promise<void>;
}

/** What the `act` verb drives. */
export interface OutputDriver {
  has(outputId: string): boolean;
  state(outputId: string): boolean | undefined;
  set(outputId: string, on: boolean): Promise<void>;
  /** Resolves once the output is switched; it switches back after `durationMs`. */
  pulse(outputId: string, durationMs: number, on: boolean): Promise<void>;
  toggle(outputId: string): Promise<void>;
  identify(durationMs?: number): Promise<IdentifyResult>;
}

export interface SensorHubDeps {
  config: SensorsConfig;
  localNow: () => number;
  log: Logger;
  /** The GPIO backend; chosen from the config (chooseGpioPort) when absent. */
  port?: GpioPort;
  readers?: { onewire?: (device: OneWireDevice) => Promise<OneWireResult>; command?: (device: CommandDevice) => Promise<CommandResult> };
  timers?: Timers;
}

const BLINK_MS = 250;
const WATCH_RETRY_MS = 1_000;

interface Output {
  device: GpioOutputDevice;
  line: GpioOutputLine;
  on: boolean;
  pulseTimer: unknown;
}

export class SensorHub implements SensorSource, OutputDriver {
  private sink: ReadingSink = () => undefined;
  private port: GpioPort | undefined;
  private readonly outputs = new Map<string, Output>();
  private readonly inputs: { line: GpioInputLine; conditioner: InputConditioner }[] = [];
  private readonly timers: Timers;
  private readonly pending = new Set<unknown>();
  private readonly errors = new Map<string, string>();
  private stopped = false;
  private identifying: Promise<IdentifyResult> | undefined;

  constructor(private readonly deps: SensorHubDeps) {
    this.timers = deps.timers ?? realTimers;
  }

  async start(sink: ReadingSink): Promise<void> {
    this.sink = sink;
    const { devices } = this.deps.config;
    if (devices.some((d) => d.kind === 'gpio.input' || d.kind === 'gpio.output')) {
      this.port = this.deps.port ?? chooseGpioPort(this.deps.config, this.deps.localNow);
      this.deps.log.info({ event: LogEvent.SENSORS_BACKEND, backend: this.port.name, reason: this.port.reason }, `GPIO backend ${this.port.name}: ${this.port.reason}`);
    }
    for (const device of devices) {
      try {
        if (device.kind === 'gpio.output') await this.startOutput(device);
        else if (device.kind === 'gpio.input') await this.startInput(device);
        else this.startPoller(device);
        this.deps.log.info({ event: LogEvent.SENSOR_STARTED, sensor: device.id, kind: device.kind }, `sensor ${device.id} (${device.kind}) started`);
      } catch (error) {
        this.fail(device.id, device.kind, error);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const handle of this.pending) this.timers.clear(handle);
    this.pending.clear();
    for (const { line, conditioner } of this.inputs.splice(0)) {
      conditioner.close();
      await line.close().catch(() => undefined);
    }
    for (const output of this.outputs.values()) {
      if (output.pulseTimer !== undefined) this.timers.clear(output.pulseTimer);
      const { safe } = output.device;
      if (safe !== 'keep') {
        try {
          await this.drive(output, safe === 'on');
          this.deps.log.info({ event: LogEvent.OUTPUT_SAFE_STATE, sensor: output.device.id, state: safe }, `output ${output.device.id} set to its safe state (${safe})`);
        } catch (error) {
          this.deps.log.error({ event: LogEvent.OUTPUT_SAFE_STATE, sensor: output.device.id, err: error }, `output ${output.device.id}: safe state not set`);
        }
      }
      await output.line.close().catch(() => undefined);
    }
    this.outputs.clear();
    await this.port?.close();
  }

  status(): SensorsStatus {
    return {
      backend: this.port === undefined ? null : { name: this.port.name, reason: this.port.reason },
      devices: this.deps.config.devices.map((d) => {
        const error = this.errors.get(d.id);
        return error === undefined ? { id: d.id, kind: d.kind, ok: true } : { id: d.id, kind: d.kind, ok: false, error };
      }),
    };
  }

  has(outputId: string): boolean {
    return this.outputs.has(outputId);
  }

  state(outputId: string): boolean | undefined {
    return this.outputs.get(outputId)?.on;
  }

  async set(outputId: string, on: boolean): Promise<void> {
    await this.drive(this.output(outputId), on);
  }

  async toggle(outputId: string): Promise<void> {
    const output = this.output(outputId);
    await this.drive(output, !output.on);
  }

  async pulse(outputId: string, durationMs: number, on: boolean): Promise<void> {
    const output = this.output(outputId);
    if (output.pulseTimer !== undefined) this.timers.clear(output.pulseTimer);
    const back = output.on;
    await this.drive(output, on);
    output.pulseTimer = this.timers.set(() => {
      output.pulseTimer = undefined;
      this.drive(output, back).catch((error: unknown) => this.fail(outputId, 'gpio.output', error));
    }, durationMs);
  }

  /** One at a time: a second takeover would save 'none' as the trigger to restore. */
  identify(durationMs = this.deps.config.identify_ms): Promise<IdentifyResult> {
    this.identifying ??= this.startIdentify(durationMs).then(
      (result) => {
        void result.done.then(() => (this.identifying = undefined));
        return result;
      },
      (error: unknown) => {
        this.identifying = undefined;
        throw error;
      },
    );
    return this.identifying;
  }

  private async startIdentify(durationMs: number): Promise<IdentifyResult> {
    const outputId = this.deps.config.identify_output;
    const output = outputId === undefined ? undefined : this.outputs.get(outputId);
    let ledDir = findActLed(this.deps.config.sysfs_root);
    let led: LedHandle | undefined;
    try {
      led = ledDir === undefined ? undefined : await takeLed(ledDir);
    } catch (error) {
      // No LED access: blink the identify output alone if there is one, and say why.
      if (output === undefined) throw error;
      this.deps.log.warn({ event: LogEvent.AGENT_IDENTIFY, err: error }, `identify: ACT LED not used: ${error instanceof Error ? error.message : String(error)}`);
      ledDir = undefined;
    }
    if (led === undefined && output === undefined) {
      throw new GpioError('GPIO_UNAVAILABLE', `no LED to blink: no ${this.deps.config.sysfs_root}/class/leds/ACT or led0, and no sensors.identify_output`);
    }
    this.deps.log.info({ event: LogEvent.AGENT_IDENTIFY, led: ledDir ?? null, output: outputId ?? null, duration_ms: durationMs }, 'identify: blinking');
    const before = output?.on;
    const done = new Promise<void>((resolve) => {
      let on = false;
      let elapsed = 0;
      const step = (): void => {
        on = !on;
        elapsed += BLINK_MS;
        const finished = elapsed > durationMs || this.stopped;
        const writes: Promise<void>[] = [];
        if (finished) {
          if (led !== undefined) writes.push(led.restore());
          if (output !== undefined && before !== undefined && !this.stopped) writes.push(this.drive(output, before));
        } else {
          if (led !== undefined) writes.push(led.set(on));
          if (output !== undefined) writes.push(this.drive(output, on));
        }
        void Promise.allSettled(writes).then(() => {
          if (finished) resolve();
          else this.timers.set(step, BLINK_MS);
        });
      };
      step();
    });
    return { led: ledDir ?? null, output: output === undefined ? null : (outputId ?? null), durationMs, done };
  }

  private output(outputId: string): Output {
    const output = this.outputs.get(outputId);
    if (output === undefined) throw new GpioError('GPIO_NO_SUCH_LINE', `no output "${outputId}" on this agent`);
    return output;
  }

  /** Writes the logical state (active-low applied) and reports it as a reading. */
  private async drive(output: Output, on: boolean): Promise<void> {
    const at = this.deps.localNow();
    await output.line.write(on !== output.device.active_low);
    output.on = on;
    this.errors.delete(output.device.id);
    this.deps.log.info({ event: LogEvent.OUTPUT_SET, sensor: output.device.id, on }, `output ${output.device.id} ${on ? 'on' : 'off'}`);
    this.sink({ sensorId: output.device.id, sensorKind: 'gpio.output', value: on, sampledAtLocal: at });
  }

  private async startOutput(device: GpioOutputDevice): Promise<void> {
    const on = device.initial === 'on';
    const line = await this.port!.output(device.line, on !== device.active_low);
    this.outputs.set(device.id, { device, line, on, pulseTimer: undefined });
    this.sink({ sensorId: device.id, sensorKind: 'gpio.output', value: on, sampledAtLocal: this.deps.localNow() });
  }

  private async startInput(device: GpioInputDevice): Promise<void> {
    const port = this.port!;
    if (port.name === 'sysfs' && device.pull !== 'as-is') {
      this.deps.log.warn({ event: LogEvent.SENSOR_FAILED, sensor: device.id, pull: device.pull }, `sysfs GPIO cannot set pulls: set it in config.txt (gpio=${device.line}=ip,p${device.pull === 'up' ? 'u' : device.pull === 'down' ? 'd' : 'n'})`);
    }
    const conditioner = new InputConditioner({ debounceMs: device.debounce_ms, activeLow: device.active_low, edge: device.edge, timers: this.timers }, (value, at) =>
      this.sink({ sensorId: device.id, sensorKind: 'gpio.input', value, sampledAtLocal: at }),
    );
    const line = await port.input(device.line, { pull: device.pull });
    const value = conditioner.prime(await line.read());
    this.sink({ sensorId: device.id, sensorKind: 'gpio.input', value, sampledAtLocal: this.deps.localNow() });
    this.inputs.push({ line, conditioner });
    const watch = (): void => {
      line.watch(
        (edge) => conditioner.onRaw(edge),
        (error) => {
          if (this.stopped) return;
          this.fail(device.id, device.kind, error);
          this.later(watch, WATCH_RETRY_MS);
        },
      );
    };
    watch();
  }

  private startPoller(device: OneWireDevice | CommandDevice): void {
    const poll = async (): Promise<void> => {
      const at = this.deps.localNow();
      if (device.kind === 'onewire.temperature') {
        const result = await (this.deps.readers?.onewire ?? ((d) => readDs18b20(this.deps.config.sysfs_root, d.device)))(device);
        this.report(device.id, device.kind, at, result.ok ? { value: result.celsius, unit: 'C' } : { error: `${result.code}: ${result.message}`, unit: 'C' });
      } else {
        const result = await (this.deps.readers?.command ?? ((d) => runCommandSensor(d.command, d.args, d.timeout_ms)))(device);
        this.report(device.id, device.kind, at, result.ok ? { value: result.value, unit: device.unit } : { error: `${result.code}: ${result.message}`, unit: device.unit });
      }
    };
    const loop = (): void => {
      poll()
        .catch((error: unknown) => this.fail(device.id, device.kind, error))
        .finally(() => {
          if (!this.stopped) this.later(loop, device.interval_ms);
        });
    };
    loop();
  }

  private report(id: string, kind: SensorKind, at: number, outcome: { value?: SensorValue; unit?: string | undefined; error?: string }): void {
    if (outcome.error !== undefined) {
      if (this.errors.get(id) !== outcome.error) this.deps.log.warn({ event: LogEvent.SENSOR_FAILED, sensor: id, reason: outcome.error }, `sensor ${id}: ${outcome.error}`);
      this.errors.set(id, outcome.error);
    } else {
      this.errors.delete(id);
    }
    this.sink({
      sensorId: id,
      sensorKind: kind,
      value: outcome.error === undefined ? (outcome.value ?? null) : null,
      ...(outcome.unit === undefined ? {} : { unit: outcome.unit }),
      sampledAtLocal: at,
      ...(outcome.error === undefined ? {} : { error: outcome.error.slice(0, 512) }),
    });
  }

  private fail(id: string, kind: SensorKind, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.deps.log.error({ event: LogEvent.SENSOR_FAILED, sensor: id, kind, code: error instanceof GpioError ? error.code : undefined, err: error }, `sensor ${id}: ${message}`);
    this.report(id, kind, this.deps.localNow(), { error: message });
  }

  private later(fn: () => void, ms: number): void {
    const handle = this.timers.set(() => {
      this.pending.delete(handle);
      fn();
    }, ms);
    this.pending.add(handle);
  }
}
