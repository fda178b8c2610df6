import { Worker } from 'node:worker_threads';
import { commonv1, echov1, gatewayv1 } from '@feedmesh/contracts';
import { ClientError, createServiceClient, Status } from '@feedmesh/service-kit';
import type { Call, LoadRun, LoadShape } from './load-loop.js';

/** What the load is sent to. */
export type LoadTarget =
  | {
      readonly kind: 'feed';
      readonly address: string;
      /** Each call asks for the dashboard of the next of these users, round robin. */
      readonly userIds: readonly string[];
      readonly pageSize: number;
      readonly token?: string | undefined;
    }
  | { readonly kind: 'echo'; readonly address: string; readonly payloadBytes: number };

/** One load run, as handed to the worker thread. */
export interface LoadJob {
  readonly target: LoadTarget;
  readonly shape: LoadShape;
  readonly durationMs: number;
  /** Deadline of each call, ms: past it the call counts as DEADLINE_EXCEEDED. */
  readonly deadlineMs: number;
}

/**
 * Runs a load job in a worker thread, so the load generator's own event loop never queues
 * behind the bench's (Redis, the span receiver) and its latencies are the server's.
 */
export async function runLoadInWorker(job: LoadJob): Promise<LoadRun> {
  const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: job });
  try {
    return await new Promise<LoadRun>((resolve, reject) => {
      worker.once('message', (run: LoadRun) => resolve(run));
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new Error(`the load worker exited (code ${code}) without a result`)),
      );
    });
  } finally {
    await worker.terminate();
  }
}

/** A call function for the target and a way to close its client. */
export function callerFor(target: LoadTarget, deadlineMs: number): { call: Call; close(): void } {
  // Retries would hide errors and double-count work: a benchmark sees every failure.
  const callOptions = { deadline: deadlineMs, retry: false };
  if (target.kind === 'echo') {
    const handle = createServiceClient(echov1.EchoServiceDefinition, target.address, {
      deadlineMs,
    });
    const request: echov1.EchoRequest = {
      payload: Buffer.alloc(target.payloadBytes, 0x61),
      delayMs: 0,
    };
    return {
      call: async () => {
        await handle.client.echo(request, callOptions);
        return {};
      },
      close: () => handle.close(),
    };
  }
  const handle = createServiceClient(gatewayv1.FeedGatewayServiceDefinition, target.address, {
    deadlineMs,
    bearerToken: target.token,
  });
  let next = 0;
  return {
    call: async () => {
      const userId = target.userIds[next++ % target.userIds.length] ?? 'u1';
      const response = await handle.client.getFeed(
        {
          userId,
          surface: commonv1.Surface.SURFACE_DASHBOARD,
          tag: '',
          pageSize: target.pageSize,
          cursor: '',
        },
        callOptions,
      );
      return { degraded: response.degraded.map((d) => d.component) };
    },
    close: () => handle.close(),
  };
}

/** A gRPC status name (DEADLINE_EXCEEDED, UNAVAILABLE, ...), else the error's class. */
export function errorKind(error: unknown): string {
  if (error instanceof ClientError) return Status[error.code] ?? `status ${error.code}`;
  return error instanceof Error ? error.name : 'error';
}
