// `npm start` as a user runs it, minus the set-up: the demo as a child process with a small
// fleet. It must run cascades, report them in its JSON lines, and leave no process it
// started behind, whether its --duration ends it or a signal does.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { isAlive } from '../harness/index.js';

const REPO = join(import.meta.dirname, '..', '..');
const DEMO = join(REPO, 'scripts', 'demo', 'main.ts');
/** Start-up of three leads, six sims and a Worker on a shared 2-core machine, then a few cascades. */
const DEMO_TIMEOUT_MS = 180_000;

/** The demo writes a console context: here, never into the user's own ~/.config. */
const CONFIG_HOME = mkdtempSync(join(tmpdir(), 'mesh30k-demo-config-'));

interface DemoEvent {
  event: string;
  try?: string;
  url?: string;
  pids?: number[];
  operations?: number;
  by_mode?: Record<string, { status: string; ready: number; sent: number }[]>;
}

interface DemoRun {
  /** Resolves with the first JSON line of this event, seen or to come (rejects if the demo exits first). */
  next(event: string): Promise<DemoEvent>;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; events: DemoEvent[]; stderr: string }>;
}

function startDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, ['--import', 'tsx', DEMO, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_CONFIG_HOME: CONFIG_HOME } });
  const events: DemoEvent[] = [];
  const waiters: { event: string; resolve: (e: DemoEvent) => void; reject: (e: Error) => void }[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const event = JSON.parse(line) as DemoEvent;
    events.push(event);
    for (const w of waiters.filter((w) => w.event === event.event)) w.resolve(event);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; events: DemoEvent[]; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => {
      for (const w of waiters) w.reject(new Error(`demo exited (${code ?? signal}) before "${w.event}": ${stderr.slice(-2000)}`));
      resolve({ code, signal, events, stderr });
    }),
  );
  return {
    next: (event) =>
      new Promise((resolve, reject) => {
        // An event may have arrived in the same chunk as the one awaited before it.
        const seen = events.find((e) => e.event === event);
        if (seen !== undefined) resolve(seen);
        else waiters.push({ event, resolve, reject });
      }),
    kill: (signal) => child.kill(signal),
    exited,
  };
}

describe('npm start (the demo)', () => {
  it('--duration: runs cascades, prints a summary, exits 0, and every process it started has ended', async () => {
    const demo = startDemo(['--agents', '30', '--workers', '1', '--interval', '1', '--duration', '4']);
    const started = await demo.next('mesh.started');
    const context = await demo.next('console.context');
    // The root lead serves the dashboard it prints the link to (its sign-in page needs no session).
    const dashboard = await demo.next('dashboard');
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui\/$/);
    const signInPage = await fetch(`${dashboard.url}login`);
    expect(signInPage.status).toBe(200);
    expect(await signInPage.text()).toContain('data-page="login"');
    const { code, events, stderr } = await demo.exited;
    // The console was pointed at the root lead: `mesh status` is the next thing to try.
    expect(context.try).toBe('npx mesh status');
    const contexts = JSON.parse(readFileSync(join(CONFIG_HOME, 'mesh', 'contexts.json'), 'utf8')) as { current: string; contexts: Record<string, { lead: string }> };
    expect(contexts.current).toBe('demo');
    expect(contexts.contexts.demo?.lead).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(code, stderr.slice(-2000)).toBe(0);
    const summary = events.find((e) => e.event === 'demo.summary');
    expect(summary?.operations).toBeGreaterThanOrEqual(1);
    const cascades = Object.values(summary?.by_mode ?? {}).flat();
    expect(cascades.some((c) => c.ready > 0), JSON.stringify(cascades)).toBe(true);
    // The sims' virtual sensors, read from the leads: every sim's relay and temperature, the newest first.
    const boards = events.filter((e) => e.event === 'demo.sensors');
    const last = boards.at(-1) as { sensors?: number; relays?: number; recent?: { agent_id: string; sampled_at: number }[] } | undefined;
    expect(last?.relays, JSON.stringify(last)).toBe(30);
    expect(last?.sensors).toBe(60);
    expect(last?.recent?.length).toBe(4);
    const times = last!.recent!.map((r) => r.sampled_at);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    // nats-server, 3 leads, 6 sims, 1 workerd.
    expect(started.pids!.length).toBeGreaterThanOrEqual(11);
    expect(started.pids!.filter(isAlive)).toEqual([]);
  }, DEMO_TIMEOUT_MS);

  it('SIGTERM while cascades run: exits 143 and every process it started has ended', async () => {
    const demo = startDemo(['--agents', '30', '--workers', '1', '--interval', '1']);
    const started = await demo.next('mesh.started');
    demo.kill('SIGTERM');
    const { code, stderr } = await demo.exited;
    expect(code, stderr.slice(-2000)).toBe(143);
    expect(started.pids!.filter(isAlive)).toEqual([]);
  }, DEMO_TIMEOUT_MS);
});
