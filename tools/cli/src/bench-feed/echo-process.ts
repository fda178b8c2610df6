import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The echo server's child process. */
export interface EchoProcess {
  readonly address: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts `echo-server.main.js` with `env` and waits until it says where it listens. */
export async function startEchoProcess(
  env: NodeJS.ProcessEnv,
  nodeFlags: readonly string[] = [],
  timeoutMs = 30_000,
): Promise<EchoProcess> {
  const main = fileURLToPath(new URL('./echo-server.main.js', import.meta.url));
  const child = spawn(process.execPath, [...nodeFlags, main], {
    env: { ...env, GRPC_LISTEN: '127.0.0.1:0', LOG_LEVEL: env['LOG_LEVEL'] ?? 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the echo server did not listen within ${timeoutMs} ms`)),
        timeoutMs,
      );
      lines.on('line', (line) => {
        const match = /^listening (\S+)$/.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the echo server exited (code ${code}) before listening`));
      });
    });
    return { address, pid: child.pid!, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
