// CPU and memory of processes and of the machine, from /proc (Linux; elsewhere: NaN).
import { readFileSync } from 'node:fs';

const CLK_TCK = 100;
const PAGE = 4096;

/** utime + stime in seconds and RSS in MB of one process; fields after the command name. */
export function parseProcStat(text: string): { cpuS: number; rssMb: number } {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime 15, rss 24.
  return { cpuS: (Number(fields[11]) + Number(fields[12])) / CLK_TCK, rssMb: Math.round((Number(fields[21]) * PAGE) / 2 ** 20) };
}

/** Busy and total jiffies of all cores, from the first line of /proc/stat. */
export function parseMachineStat(text: string): { busy: number; total: number } {
  const values = (text.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function processSample(pid: number | undefined): { cpuS: number; rssMb: number } {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return { cpuS: Number.NaN, rssMb: Number.NaN };
  }
}

export function machineSample(): { busy: number; total: number } {
  try {
    return parseMachineStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}
