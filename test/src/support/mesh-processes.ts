import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Every child a test started and has not seen exit. When the test process exits with some
 * still running (a test failed before its `after`, or mocha's --exit cut it short), they are
 * SIGKILLed, so no service or redis-server outlives the run.
 */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Tracks `child` until it exits; see `liveChildren`. */
export function trackChild(child: ChildProcess): ChildProcess {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const running of liveChildren) running.kill('SIGKILL');
    });
  }
  return child;
}

export type ServiceName =
  'feature-store' | 'candidate-generation' | 'ranker' | 'search' | 'notification' | 'feed-gateway';

/** One service running as its own process, as in production. */
export class ServiceProcess {
  private exited: Promise<number | null>;
  readonly output: string[] = [];

  private constructor(
    readonly name: ServiceName,
    readonly address: string,
    private readonly child: ChildProcess,
    exited: Promise<number | null>,
  ) {
    this.exited = exited;
  }

  /** False once the process exited, whatever the cause. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How the process ended (`code 1`, `signal SIGKILL`); undefined while it runs. */
  get exitStatus(): string | undefined {
    if (this.child.signalCode !== null) return `signal ${this.child.signalCode}`;
    if (this.child.exitCode !== null) return `code ${this.child.exitCode}`;
    return undefined;
  }

  /**
   * Starts `node services/<name>/dist/main.js` with the given environment and resolves once
   * it logged the address it listens on (GRPC_LISTEN with port 0 picks a free port).
   */
  static async start(
    name: ServiceName,
    env: Record<string, string>,
    options: { readonly startTimeoutMs?: number } = {},
  ): Promise<ServiceProcess> {
    const startTimeoutMs = options.startTimeoutMs ?? 20_000;
    const child = trackChild(
      spawn(process.execPath, [`${ROOT}services/${name}/dist/main.js`], {
        cwd: ROOT,
        env: { ...process.env, GRPC_LISTEN: '127.0.0.1:0', LOG_LEVEL: 'info', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    // Listened for before anything is awaited, so an early exit is never missed.
    const exited = once(child, 'exit').then(([code]) => code as number | null);
    const output: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const lines = createInterface({ input: child.stdout! });
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Not left running: nothing would ever stop a process the caller never got.
        child.kill('SIGKILL');
        reject(new Error(`${name} did not start in ${startTimeoutMs} ms:\n${output.join('')}`));
      }, startTimeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before listening:\n${output.join('')}`));
      });
      lines.on('line', (line) => {
        output.push(line);
        if (output.length > 200) output.shift();
        const parsed = parseJson(line);
        if (typeof parsed?.address === 'string' && /listening/.test(String(parsed.msg))) {
          clearTimeout(timer);
          resolve(parsed.address);
        }
      });
    });
    const service = new ServiceProcess(name, address, child, exited);
    const keep = (line: string) => {
      service.output.push(line);
      if (service.output.length > 200) service.output.shift();
    };
    lines.on('line', keep);
    child.stderr!.on('data', (chunk: Buffer) => keep(chunk.toString()));
    return service;
  }

  /** SIGTERM, then waits for the exit code (SIGKILL after 10 s). */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** SIGKILL, as a crash: no drain, no acknowledgement of work in hand. Waits for the exit. */
  async crash(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Runs the trainer job once as a process; resolves with its exit code and output. */
export async function runTrainerProcess(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = trackChild(
    spawn(process.execPath, [`${ROOT}services/trainer/dist/main.js`], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, output };
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
