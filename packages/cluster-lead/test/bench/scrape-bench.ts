/**
 * bench (cluster-lead): what one /metrics page costs the lead's event loop, by how the
 * per-sensor families are written. In the same run: the page with no sensor series (the
 * baseline; API latency series of every documented route at 0 included), 1,000 sensor series as prom-client gauges (set at scrape, as the families were
 * written before), and the same series written as text (metrics/text-family.ts, as now).
 * Every page is checked to hold the same sensor lines. Prints a table and writes JSON.
 *
 *   npx tsx packages/cluster-lead/test/bench/scrape-bench.ts [--quick] [--sensors N]
 */
import { argv, stdout } from 'node:process';
import { secondsFromMs } from '@mesh30k/shared';
import { Registry } from 'prom-client';
import { formatTable, writeReport } from '../../../../test/bench/lib/report.js';
import { percentile } from '../../../../test/bench/lib/measure.js';
import { OperationMetrics, registerLeadMetrics, type MetricsSources, type SensorValue } from '../../src/api/metrics.js';
import { ROUTE_DOCS } from '../../src/api/openapi/index.js';
import { ApiCounters } from '../../src/api/request-context.js';
import { scrapedGauge } from '../../src/metrics/index.js';

const QUICK = argv.includes('--quick');
const flag = argv.indexOf('--sensors');
const SENSORS = flag === -1 ? 1_000 : Number(argv[flag + 1]);
const WARMUP = QUICK ? 10 : 30;
const SCRAPES = QUICK ? 40 : 200;

const readings: SensorValue[] = Array.from({ length: SENSORS }, (_, i) => ({
  agentId: `pi-${String(i % 250).padStart(3, '0')}`,
  sensorId: `temp-${i}`,
  unit: i % 3 === 0 ? 'C' : null,
  value: i % 7 === 0 ? i % 2 === 0 : 20 + (i % 50) / 10,
  sampledAt: 1_800_000_000_000 + i * 13,
}));

/** API latency series for every documented route, at 0, as createApi writes them. */
function apiCounters(): ApiCounters {
  const counters = new ApiCounters();
  counters.zeroRoutes(ROUTE_DOCS.map((r) => ({ method: r.method.toUpperCase(), route: r.path.replace(/\{([a-z_]+)\}/g, ':$1') })));
  return counters;
}

function sources(withSensors: boolean): MetricsSources {
  return {
    api: apiCounters(),
    ingest: () => ({ accepted: 1_000, refused: {} }),
    operations: new OperationMetrics(),
    breakers: () => [],
    mode: () => 'FULL',
    sensors: () => ({ accepted: SENSORS, duplicates: 0, refused: {}, known: SENSORS }),
    ...(withSensors ? { sensorValues: () => ({ readings, omitted: 0 }) } : {}),
  };
}

/** The page as /metrics writes it: the registry's, then the text families. */
function lead(withSensors: boolean): () => Promise<string> {
  const registry = new Registry();
  const text = registerLeadMetrics(registry, sources(withSensors));
  return async () => `${await registry.metrics()}\n${text()}`;
}

/** The sensor families as prom-client gauges set at scrape time: how they were written before. */
function promClientGauges(): () => Promise<string> {
  const registry = new Registry();
  registerLeadMetrics(registry, sources(false));
  const labels = (r: SensorValue) => ({ agent_id: r.agentId, sensor_id: r.sensorId, unit: r.unit ?? '' });
  const numeric = readings.filter((r) => typeof r.value === 'number' || typeof r.value === 'boolean');
  const sample = (r: SensorValue) => (typeof r.value === 'boolean' ? Number(r.value) : (r.value as number));
  const labelNames = ['agent_id', 'sensor_id', 'unit'];
  scrapedGauge(registry, { name: 'mesh_lead_sensor_value', help: 'Latest reading of a sensor.', labelNames, read: () => numeric.map((r) => [labels(r), sample(r)] as const) });
  scrapedGauge(registry, { name: 'mesh_lead_sensor_sampled_at_seconds', help: 'When it was taken.', labelNames, read: () => numeric.map((r) => [labels(r), secondsFromMs(r.sampledAt)] as const) });
  return () => registry.metrics();
}

const sensorLines = (page: string): string[] => page.split('\n').filter((line) => /^mesh_lead_sensor_(value|sampled_at_seconds)\{/.test(line)).sort();

interface Row {
  readonly page: string;
  readonly series: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly maxMs: number;
  readonly bytes: number;
}

async function measure(name: string, series: number, scrape: () => Promise<string>): Promise<Row> {
  for (let i = 0; i < WARMUP; i++) await scrape();
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < SCRAPES; i++) {
    const started = performance.now();
    bytes = (await scrape()).length;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { page: name, series, p50Ms: percentile(times, 50), p90Ms: percentile(times, 90), maxMs: times.at(-1)!, bytes };
}

async function main(): Promise<void> {
  const before = promClientGauges();
  const now = lead(true);
  const same = JSON.stringify(sensorLines(await before())) === JSON.stringify(sensorLines(await now()));
  if (!same) throw new Error('the two ways of writing the sensor families give different sensor lines');
  const series = sensorLines(await now()).length;
  const rows = [
    await measure('no sensor series (baseline)', 0, lead(false)),
    await measure('sensor series as prom-client gauges (before)', series, before),
    await measure('sensor series as text (now)', series, now),
  ];
  const f = (ms: number) => ms.toFixed(2);
  stdout.write(`\n/metrics page cost, ${SENSORS} sensors, ${SCRAPES} scrapes each after ${WARMUP} warm-up\n\n`);
  stdout.write(formatTable(['page', 'series', 'p50 ms', 'p90 ms', 'max ms', 'bytes'], rows.map((r) => [r.page, String(r.series), f(r.p50Ms), f(r.p90Ms), f(r.maxMs), String(r.bytes)])));
  const [base, gauges, text] = rows as [Row, Row, Row];
  stdout.write(`\nsensor families' share of the page, p50: ${f(gauges.p50Ms - base.p50Ms)} ms as gauges, ${f(text.p50Ms - base.p50Ms)} ms as text\n`);
  stdout.write(`results: ${writeReport('lead-scrape', { sensors: SENSORS, scrapes: SCRAPES, warmup: WARMUP, quick: QUICK, rows })}\n`);
}

await main();
