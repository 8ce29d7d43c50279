// What the demo prints. On a terminal, one view redrawn in place (ANSI: cursor home, clear
// to end of line and below); otherwise plain lines, one per status read and per cascade, plus
// JSON lines (`{"event":...}`) that a test or a script can parse.
import type { ErrorFigures, ModeFigures, ReleaseMode } from './figures.js';
import type { MeshBox } from './mesh-box.js';
import { MODES } from './rotation.js';
import { RELEASE_LEGEND, RELEASE_NAME, outcomeText, spreadText } from './release-names.js';
import { sensorLines, type SensorBoard } from './sensor-board.js';

const HOME = '\x1b[H';
const CLEAR_LINE = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const BOLD = (s: string): string => `\x1b[1m${s}\x1b[22m`;

export interface ScreenHeader {
  agents: number;
  workers: number;
  profile: string;
  children: number;
}

export interface Output {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

const ms = (v: number): string => v.toFixed(v < 10 ? 2 : 1).padStart(7);
const pct = (v: number | null): string => (v === null ? '    -' : `${(100 * v).toFixed(0)}%`.padStart(5));

function figuresText(f: ErrorFigures | null): string {
  if (f === null) return '   (no ready agent seen)';
  return `${ms(f.p50)} ${ms(f.p90)} ${ms(f.p99)} ${ms(f.max)}`;
}

function boxLines(box: MeshBox | null, now: number): string[] {
  if (box === null) return ['status: waiting for the leads'];
  const last = box.lastCascade === null ? 'none yet' : `${box.lastCascade.cascade_id} ${box.lastCascade.status} ${((now - box.lastCascade.at) / 1000).toFixed(1)} s ago`;
  return [
    `agents active ${box.agentsActive}/${box.agentsTotal}   sectors healthy ${box.sectorsHealthy}/${box.sectorsTotal}   mean impedance ${box.meanImpedance === null ? '-' : box.meanImpedance.toFixed(1)}   conflicts last hour ${box.conflictsLastHour}${box.frozen ? '   FROZEN' : ''}`,
    `mesh mode (degradation) ${box.modes || '-'}   last cascade ${last}${box.unreachable.length > 0 ? `   unreachable: ${box.unreachable.join(', ')}` : ''}`,
    `breakers not closed: ${box.breakers.length === 0 ? 'none' : box.breakers.join(', ')}`,
  ];
}

/**
 * The headline per release: how far apart the agents became ready (spread) and how many landed
 * in the window (hit), hold's spread beside its bound; then the outcome and the distribution.
 */
function modeLines(latest: ReadonlyMap<ReleaseMode, ModeFigures>): string[] {
  const head = 'release      hit   spread (first to last ready)             ready      outcome              |  true |ready-T| ms: p50     p90     p99     max |  leads: p50     p99   hit';
  const lines = [head];
  for (const mode of MODES) {
    const f = latest.get(mode);
    const name = RELEASE_NAME[mode].padEnd(11);
    if (f === undefined) {
      lines.push(`${name}  (waiting for its first cascade)`);
      continue;
    }
    const leads = f.leads === null ? '      -       -     -' : `${ms(f.leads.p50)} ${ms(f.leads.p99)} ${pct(f.leads.hitRate)}`;
    const hit = pct(f.truth?.hitRate ?? null);
    lines.push(
      `${name} ${hit}   ${spreadText(f).padEnd(38)} ${`${f.ready}/${f.sent}`.padEnd(10)} ${outcomeText(f).padEnd(20)} |                 ${figuresText(f.truth)} |     ${leads}${f.others === '' ? '' : `   ${f.others}`}`,
    );
  }
  return lines;
}

/** One-line form of a cascade's figures, for logs and the plain output. */
export function figuresLine(f: ModeFigures): string {
  const t = f.truth;
  const truth = t === null ? 'true: no ACK seen' : `true p50 ${t.p50.toFixed(2)} p90 ${t.p90.toFixed(2)} p99 ${t.p99.toFixed(2)} max ${t.max.toFixed(2)} ms, hit ${pct(t.hitRate).trim()}, spread ${t.spread?.toFixed(1)} ms, bias ${t.bias?.toFixed(1)} ms`;
  const l = f.leads;
  const leads = l === null ? 'leads: none ready' : `leads p50 ${l.p50.toFixed(2)} p99 ${l.p99.toFixed(2)} ms`;
  return `cascade ${f.cascadeId} release ${RELEASE_NAME[f.mode]} ${outcomeText(f)} ready ${f.ready}/${f.sent}${f.others === '' ? '' : ` (${f.others})`}; spread ${spreadText(f)}; ${truth}; ${leads}`;
}

export class Screen {
  private box: MeshBox | null = null;
  private sensors: SensorBoard | null = null;
  private readonly latest = new Map<ReleaseMode, ModeFigures>();
  private readonly notes: string[] = [];
  private header: ScreenHeader | null = null;
  private readonly startedAt = Date.now();
  readonly live: boolean;

  constructor(private readonly out: Output) {
    this.live = out.isTTY === true;
    if (this.live) out.write(HIDE_CURSOR);
  }

  setHeader(header: ScreenHeader): void {
    this.header = header;
    this.draw();
  }

  /** A line worth keeping on screen (progress, errors): the last few are shown. */
  note(line: string): void {
    this.notes.push(line);
    if (this.notes.length > 4) this.notes.shift();
    if (this.live) this.draw();
    else this.out.write(`${line}\n`);
  }

  setBox(box: MeshBox): void {
    this.box = box;
    if (this.live) this.draw();
  }

  setSensors(board: SensorBoard): void {
    this.sensors = board;
    if (this.live) this.draw();
  }

  setFigures(figures: ModeFigures): void {
    this.latest.set(figures.mode, figures);
    if (this.live) {
      this.draw();
      return;
    }
    this.out.write(`${figuresLine(figures)}\n`);
    for (const line of boxLines(this.box, Date.now())) this.out.write(`status: ${line}\n`);
    if (this.sensors !== null) {
      const [summary, ...rows] = sensorLines(this.sensors, Date.now());
      this.out.write(`sensors: ${summary}\n`);
      for (const row of rows) this.out.write(`sensors: ${row.trim()}\n`);
      const { sensors, agents, relaysOn, relays, failing, recent } = this.sensors;
      this.event('demo.sensors', { sensors, agents, relays_on: relaysOn, relays, failing, recent });
    }
  }

  /** A JSON line for machines; only when the output is not a terminal. */
  event(event: string, fields: Record<string, unknown>): void {
    if (!this.live) this.out.write(`${JSON.stringify({ event, ...fields })}\n`);
  }

  /** Leaves the last view on screen and gives the cursor back. */
  close(): void {
    if (this.live) {
      this.draw();
      this.out.write(SHOW_CURSOR);
    }
  }

  private draw(): void {
    if (!this.live) return;
    const h = this.header;
    const up = ((Date.now() - this.startedAt) / 1000).toFixed(0);
    const title = h === null ? 'MESH-30K demo: starting' : `MESH-30K demo: ${h.agents} agents + ${h.workers} Worker${h.workers === 1 ? '' : 's'} under a root lead and ${h.children} child leads, ${h.profile} links, up ${up} s`;
    const lines: (string | { bold: string })[] = [
      { bold: title },
      'Ctrl-C stops every process the demo started.',
      '',
      { bold: 'status box' },
      ...boxLines(this.box, Date.now()),
      '',
      { bold: `release timing, last cascade of each (hit: ready within +-${[...this.latest.values()][0]?.windowMs ?? '-'} ms of T)` },
      ...modeLines(this.latest),
      ...RELEASE_LEGEND,
      '',
      { bold: 'field sensors (latest reading of each, from the leads: GET /v1/sensors; most recent below)' },
      ...sensorLines(this.sensors, Date.now()),
      '',
      ...this.notes,
    ];
    // A line wider than the terminal would wrap and scroll the view out of place: cut it.
    const width = this.out.columns ?? Number.POSITIVE_INFINITY;
    const fit = (l: string | { bold: string }): string => (typeof l === 'string' ? l.slice(0, width) : BOLD(l.bold.slice(0, width)));
    this.out.write(`${HOME}${lines.map((l) => `${fit(l)}${CLEAR_LINE}`).join('\n')}\n${CLEAR_BELOW}`);
  }
}
