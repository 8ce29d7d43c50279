import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  natsServer: string | null;
  platform: string;
}

/** What the results were measured on; every benchmark records it beside its figures. */
export function describeMachine(): MachineInfo {
  const nats = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    natsServer: nats.status === 0 ? nats.stdout.trim() : null,
    platform: `${process.platform}-${process.arch}`,
  };
}
