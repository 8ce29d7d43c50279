// The private test harness: every package's tests and benchmarks import from here.
export { HarnessError, type HarnessErrorCode } from './errors.js';
export { startNats, type NatsServer, type StartNatsOptions } from './nats-server.js';
export { startNatsCluster, type NatsCluster, type StartNatsClusterOptions } from './nats-cluster.js';
export {
  DEFAULT_LINK_SEED,
  startLink,
  type Link,
  type LinkDirection,
  type LinkOptions,
  type LinkStats,
} from './link-emulator.js';
export {
  HEAVY_TAIL_CAP_FACTOR,
  HEAVY_TAIL_MEDIAN_FRACTION,
  HEAVY_TAIL_SHAPE,
  MIN_RTO_MS,
  defaultRetransmitMs,
  type JitterShape,
  type LinkProfile,
} from './link-profile.js';
export type { DirectionCounters } from './delay-pipe.js';
export { startTcpEcho, type TcpEcho } from './tcp-echo.js';
export { makeTempDir, type TempDir } from './temp.js';
export { makeTestCertificates, type TestCertificates } from './tls.js';
export { verdictOf, type Verdict } from './replies.js';
export { LOOPBACK, canConnect, freePort, isPortFree } from './ports.js';
export { deriveSeed, mulberry32, type Random } from './random.js';
export { quantile, summarize, type Summary } from './percentiles.js';
export {
  isAlive,
  lastSimTotals,
  startLocalMesh,
  waitFor,
  type LinkProfiles,
  type LocalMesh,
  type LeadHandle,
  type LocalMeshOptions,
  type MeshDaemon,
  type MeshStopOptions,
  type OperationView,
} from './local-mesh.js';
export { RestartableProc } from './restartable-proc.js';
export { LeadApi, type LeadApiCredentials, type LeadApiResponse } from './lead-api.js';
export { runCascade, settledCascade, type CascadeArrival, type CascadeView } from './cascade-run.js';
export { corruptHeader, corruptTablePage, touchFromAnotherConnection, truncateDatabase } from './sqlite-damage.js';
export { AGENT_BIN, LEAD_BIN, bundleEnv, spawnCli, type CliProcess, type CliProcessOptions, type LogLine } from './cli-process.js';
export { parsePromText, promtoolCheckMetrics, resetSamples, worstLoopDelayMsBetween, type PromSample, type PromtoolVerdict } from './prom-text.js';
