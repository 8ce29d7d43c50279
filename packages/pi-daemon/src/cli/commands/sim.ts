import { access, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MeshError } from '@mesh30k/shared';
import pino from 'pino';
import { LOG_LEVELS, type LogLevel } from '../../config/index.js';
import { createLogger } from '../../logging/index.js';
import { SimSpec, startSim, writeEnrollments } from '../../sim/index.js';
import { UsageError, integerFlag, parseFlags, requireFlag, type Command } from '../args.js';
import { EXIT } from '../exit-codes.js';

const STDERR_FD = 2;
const DEFAULT_REPORT_S = 10;
/** How often --start-when looks for its file. */
const START_WHEN_POLL_MS = 100;

export const simCommand: Command = {
  name: 'sim',
  summary: 'run many virtual agents in this process (tests, demo, benchmarks)',
  usage: `Usage: mesh-agent sim --nats <url> --lead-key <key|file> (--spec <file> | --lead-id <id> --count <n>) [options]

Runs virtual agents through the same agent code as a Pi, each with its own key pair, class,
processing-time distribution, skewed clock and injected faults, on one shared NATS connection.
Prints a JSON line of fleet totals (and the shared connection's disconnects and reconnects)
every --report seconds; logs go to stderr.

Options:
      --nats <url>              NATS server; repeat for several
      --lead-key <key|file>     the lead's public key (base64url) or its public key file
      --spec <file>             fleet spec (JSON; see src/sim/spec.ts); flags below override it
      --lead-id <id>            lead the agents answer to
      --count <n>               number of virtual agents
      --seed <n>                seed of every random draw (same seed, same fleet and keys)
      --heartbeat-ms <ms>       heartbeat interval
      --root-key <file>         mesh root key pair: sign enrollments for every virtual agent
      --enrollments-out <file>  where to write them (JSON), before the agents start
      --start-when <file>       start the agents only once this file exists (whoever starts
                                the lead creates it when the lead serves)
      --arrivals-out <file>     append the true (machine-clock) instant of every READY release
                                to this file, one JSON line each (benchmarks)
      --duration <s>            stop after this many seconds (default: run until SIGTERM)
      --report <s>              seconds between totals lines (default ${DEFAULT_REPORT_S})
      --log-level <level>       ${LOG_LEVELS.join(', ')} (default warn)
  -h, --help                    show this help`,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      nats: { type: 'string', multiple: true, default: [] },
      'lead-key': { type: 'string' },
      spec: { type: 'string' },
      'lead-id': { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'root-key': { type: 'string' },
      'enrollments-out': { type: 'string' },
      'start-when': { type: 'string' },
      'arrivals-out': { type: 'string' },
      duration: { type: 'string' },
      report: { type: 'string' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', short: 'h' },
    });
    if (flags.help === true) {
      io.out(this.usage);
      return EXIT.OK;
    }
    if (flags.nats.length === 0) throw new UsageError('missing required option --nats');
    if (!(LOG_LEVELS as readonly string[]).includes(flags['log-level'])) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    if ((flags['root-key'] === undefined) !== (flags['enrollments-out'] === undefined)) {
      throw new UsageError('--root-key and --enrollments-out go together');
    }
    const base = flags.spec === undefined ? {} : await readSpecFile(flags.spec);
    const overrides = {
      ...(flags['lead-id'] === undefined ? {} : { lead_id: flags['lead-id'] }),
      ...(flags.count === undefined ? {} : { count: integerFlag(flags.count, 'count', 1, 100_000) }),
      ...(flags.seed === undefined ? {} : { seed: integerFlag(flags.seed, 'seed', 0, 0xffffffff) }),
      ...(flags['heartbeat-ms'] === undefined ? {} : { heartbeat_interval_ms: integerFlag(flags['heartbeat-ms'], 'heartbeat-ms', 100, 600_000) }),
    };
    const parsed = SimSpec.safeParse({ ...base, ...overrides });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(`sim spec ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    const durationS = integerFlag(flags.duration, 'duration', 1, 31_536_000);
    const reportS = integerFlag(flags.report, 'report', 1, 86_400) ?? DEFAULT_REPORT_S;
    const logger = createLogger({ level: flags['log-level'] as LogLevel, destination: pino.destination({ fd: STDERR_FD, sync: true }), journald: false });
    const leadKey = requireFlag(flags['lead-key'], 'lead-key');
    let running;
    try {
      running = await startSim({
        spec: parsed.data,
        servers: flags.nats,
        leadKey,
        logger,
        ...(flags['root-key'] === undefined ? {} : { rootKeyPath: flags['root-key'] }),
        ...(flags['arrivals-out'] === undefined ? {} : { arrivalsOut: flags['arrivals-out'] }),
        beforeStart: async (enrollments) => {
          const out = flags['enrollments-out'];
          if (enrollments !== undefined && out !== undefined) await writeEnrollments(out, enrollments);
          const startWhen = flags['start-when'];
          if (startWhen !== undefined) await fileAppears(startWhen);
        },
      });
    } catch (error) {
      // Key files that cannot be read are operator mistakes: one line, no stack.
      if (!(error instanceof MeshError)) throw error;
      io.err(`mesh-agent sim: ${error.message}`);
      return EXIT.CONFIG;
    }
    const sim = running;
    // The shared connection's disconnects and reconnects, with the servers they named: a bench that
    // kills a NATS node tells the agents' reconnect apart from a lead that stopped answering.
    const nats = { disconnects: 0, reconnects: 0, last_disconnected_from: null as string | null, last_reconnected_to: null as string | null };
    sim.supervisor.onEvent((event) => {
      if (event.type === 'disconnected') {
        nats.disconnects += 1;
        nats.last_disconnected_from = event.server;
      } else if (event.type === 'reconnected') {
        nats.reconnects += 1;
        nats.last_reconnected_to = event.server;
      }
    });
    // The sim's own event-loop delay since the last line: a starved sim's beats and probe answers are late.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const report = (): void => {
      const cpu = process.cpuUsage();
      const loopMs = { p99: Math.round(loop.percentile(99) / 1e6), max: Math.round(loop.max / 1e6) };
      loop.reset();
      io.out(JSON.stringify({ sim: sim.fleet.totals(), nats, loop_ms: loopMs, rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20), cpu_ms: Math.round((cpu.user + cpu.system) / 1000), at: Date.now() }));
    };
    const timer = setInterval(report, reportS * 1000);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        process.off('SIGTERM', done);
        process.off('SIGINT', done);
        clearTimeout(limit);
        resolve();
      };
      const limit = durationS === undefined ? undefined : setTimeout(done, durationS * 1000);
      process.on('SIGTERM', done);
      process.on('SIGINT', done);
    });
    clearInterval(timer);
    loop.disable();
    await sim.stop();
    report();
    return EXIT.OK;
  },
};

async function readSpecFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--spec ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`--spec ${path}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Resolves once `path` exists (polled: the file may be created on any filesystem, by any process). */
async function fileAppears(path: string): Promise<void> {
  for (;;) {
    try {
      await access(path);
      return;
    } catch {
      await delay(START_WHEN_POLL_MS);
    }
  }
}
