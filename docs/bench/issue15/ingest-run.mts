// One-off: the lead's own heartbeat cost, in process, from the tree given as argv[2].
const tree = process.argv[2]!;
const { ingestBench } = await import(`${tree}/packages/cluster-lead/test/bench/registry-bench.ts`);
const r = await ingestBench({ variants: [0], rounds: 3, pacedRate: Number(process.argv[3] ?? 2000), pacedVariants: [0, 2] });
const rows = [
  ...r.rows.map((x: any) => ({ run: `${x.verifier} saturated`, hbPerSec: Math.round(x.heartbeatsPerSec), cores: +x.coresUsed.toFixed(2), usPerHb: Math.round((x.coresUsed / x.heartbeatsPerSec) * 1e6), mainBusy: +x.mainThreadBusy.toFixed(2), loopMaxMs: +x.loopDelayMaxMs.toFixed(1) })),
  ...r.paced.map((x: any) => ({ run: `${x.verifier} paced ${Math.round(x.offeredPerSec)}/s`, hbPerSec: Math.round(x.heartbeatsPerSec), cores: +x.coresUsed.toFixed(2), usPerHb: Math.round((x.coresUsed / x.heartbeatsPerSec) * 1e6), mainBusy: +x.mainThreadBusy.toFixed(2), loopMaxMs: +x.loopDelayMaxMs.toFixed(1), latP99Ms: +x.latencyP99Ms.toFixed(1) })),
];
console.log(JSON.stringify({ tree, rawVerifyPerSec: Math.round(r.rawVerifyPerSec), rows }, null, 1));
process.exit(0);
