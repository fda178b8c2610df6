import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root, from services/notification/dist/bench. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * A Feedmesh service run as its own process (`node services/<name>/dist/main.js`), as in
 * production: the benchmark measures the notification process alone, not the client.
 */
export class ServiceProcess {
  private readonly exited: Promise<unknown>;
  private readonly output: string[] = [];

  private constructor(
    readonly name: string,
    readonly address: string,
    private readonly child: ChildProcess,
    output: string[],
  ) {
    this.output = output;
    this.exited = once(child, 'exit');
  }

  /** Starts it on a free port and resolves once it logged the address it listens on. */
  static async start(
    name: string,
    env: Record<string, string>,
    nodeFlags: readonly string[] = [],
  ): Promise<ServiceProcess> {
    const main = `${REPO_ROOT}services/${name}/dist/main.js`;
    const child = spawn(process.execPath, [...nodeFlags, main], {
      cwd: REPO_ROOT,
      env: { ...process.env, GRPC_LISTEN: '127.0.0.1:0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const keep = (line: string): void => {
      output.push(line);
      if (output.length > 200) output.shift();
    };
    child.stderr?.on('data', (chunk: Buffer) => keep(chunk.toString()));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', keep);
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name} did not start in 30 s:\n${output.join('\n')}`));
      }, 30_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before listening:\n${output.join('\n')}`));
      });
      lines.on('line', (line) => {
        const parsed = parseJson(line);
        if (typeof parsed?.address === 'string' && /listening/.test(String(parsed.msg))) {
          clearTimeout(timer);
          resolve(parsed.address);
        }
      });
    });
    return new ServiceProcess(name, address, child, output);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resident memory of the process, bytes (Linux /proc). */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return match === null ? 0 : Number(match[1]) * 1024;
  }

  /** CPU time the process used so far (user + system), ms. */
  cpuMs(): number {
    const fields = readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    return (ticks * 1000) / 100;
  }

  recentOutput(): string {
    return this.output.join('\n');
  }

  /** SIGTERM, then the exit (SIGKILL after 15 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
