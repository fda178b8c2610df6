import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** A process whose CPU time the bench reports. */
export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
}

/** CPU used by each watched process over an interval. */
export interface CpuUsage {
  readonly name: string;
  readonly pid: number;
  /** user + system CPU time over the interval, ms. */
  readonly cpuMs: number;
  /** cpuMs per wall-clock ms: 1 is one core busy the whole time. */
  readonly cores: number;
}

let ticksPerSecond: number | undefined;

/** user + system CPU time of a process so far, ms, from /proc/<pid>/stat; undefined if gone. */
export function cpuTimeMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields count from its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  ticksPerSecond ??= clockTicks();
  return ((utime + stime) * 1000) / ticksPerSecond;
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Starts counting; `stop()` returns each process's CPU since `start`. */
export function startCpuMeter(processes: readonly WatchedProcess[]): { stop(): CpuUsage[] } {
  const startedAt = performance.now();
  const before = processes.map((p) => cpuTimeMs(p.pid) ?? 0);
  return {
    stop: () => {
      const wallMs = performance.now() - startedAt;
      return processes.map((p, i) => {
        const cpuMs = Math.max(0, (cpuTimeMs(p.pid) ?? 0) - (before[i] ?? 0));
        return { name: p.name, pid: p.pid, cpuMs, cores: wallMs > 0 ? cpuMs / wallMs : 0 };
      });
    },
  };
}

/**
 * The children of `parentPid` whose command line runs `services/<name>/dist/main.js`, by
 * service name: how the bench finds the mesh's processes without the playground naming them.
 */
export function serviceChildren(parentPid: number = process.pid): WatchedProcess[] {
  const found: WatchedProcess[] = [];
  for (const entry of listPids()) {
    const stat = readText(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== parentPid) continue;
    const cmdline = readText(`/proc/${entry}/cmdline`)?.split('\0') ?? [];
    const name = cmdline
      .map((arg) => /services\/([^/]+)\/dist\/main\.js$/.exec(arg)?.[1])
      .find(Boolean);
    if (name) found.push({ name, pid: entry });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** Processes named `comm` (e.g. `redis-server`), which this bench may share with others. */
export function processesNamed(comm: string): WatchedProcess[] {
  return listPids()
    .filter((pid) => readText(`/proc/${pid}/comm`)?.trim() === comm)
    .map((pid) => ({ name: comm, pid }));
}

function listPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  } catch {
    return [];
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
