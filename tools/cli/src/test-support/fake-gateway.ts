import { PassThrough } from 'node:stream';
import { gatewayv1, type eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { bindService, type RunningServer } from '@feedmesh/service-kit';
import { startTestGrpcServer } from '@feedmesh/testing';
import type { CliIo } from '../cli-io.js';
import { runCli } from '../cli.js';

/**
 * A gateway with canned answers, for testing the CLI's arguments and rendering over real
 * gRPC. It records what it was asked; it is not a model of the real gateway.
 */
export interface FakeGateway {
  readonly address: string;
  readonly feedRequests: gatewayv1.GetFeedRequest[];
  /** The authorization header of each GetFeed, '' when none was sent. */
  readonly feedAuthorizations: string[];
  readonly searchRequests: gatewayv1.SearchRequest[];
  /** Every PublishEvents batch it accepted. */
  readonly batches: eventsv1.Event[][];
  /** Rejects any batch holding an event with this id, naming its index like the gateway. */
  rejectEventId: string | undefined;
  feedResponse: gatewayv1.GetFeedResponse;
  /** Thrown by GetFeed instead of answering, when set. */
  feedError: Error | undefined;
  searchResponse: gatewayv1.SearchResponse;
  inbox: gatewayv1.ListNotificationsResponse;
  listRequests: gatewayv1.ListNotificationsRequest[];
  subscribeRequests: gatewayv1.SubscribeNotificationsRequest[];
  /** Streamed to each subscriber, then the stream stays open until the client leaves. */
  live: gatewayv1.SubscribeNotificationsResponse[];
  /** Thrown by SubscribeNotifications instead of streaming, when set. */
  subscribeError: Error | undefined;
  stop(): Promise<void>;
}

export async function startFakeGateway(): Promise<FakeGateway> {
  let server: RunningServer | undefined;
  const fake: FakeGateway = {
    address: '',
    feedRequests: [],
    feedAuthorizations: [],
    searchRequests: [],
    batches: [],
    rejectEventId: undefined,
    feedResponse: gatewayv1.GetFeedResponse.fromPartial({}),
    feedError: undefined,
    searchResponse: gatewayv1.SearchResponse.fromPartial({}),
    inbox: gatewayv1.ListNotificationsResponse.fromPartial({}),
    listRequests: [],
    subscribeRequests: [],
    live: [],
    subscribeError: undefined,
    stop: async () => server?.shutdown('test over'),
  };
  server = await startTestGrpcServer('fake-gateway', [
    bindService(gatewayv1.FeedGatewayServiceDefinition, {
      async getFeed(request, context) {
        fake.feedRequests.push(request);
        fake.feedAuthorizations.push(context.metadata.get('authorization') ?? '');
        if (fake.feedError !== undefined) throw fake.feedError;
        return fake.feedResponse;
      },
      async search(request) {
        fake.searchRequests.push(request);
        return fake.searchResponse;
      },
      async listNotifications(request) {
        fake.listRequests.push(request);
        return fake.inbox;
      },
      async *subscribeNotifications(request, context) {
        fake.subscribeRequests.push(request);
        if (fake.subscribeError !== undefined) throw fake.subscribeError;
        for (const response of fake.live) yield response;
        await new Promise<void>((resolve) =>
          context.signal.addEventListener('abort', () => resolve()),
        );
      },
      async markNotificationsRead() {
        return { unreadCount: 0 };
      },
      async publishEvents(request) {
        const bad = request.events.findIndex((e) => e.eventId === fake.rejectEventId);
        if (bad >= 0)
          throw new InvalidArgumentError(`events[${bad}].event_id`, 'rejected by the test');
        fake.batches.push(request.events);
        return { accepted: request.events.length };
      },
    }),
  ]);
  return Object.assign(fake, { address: server.address });
}

/** What a CLI run printed and how it ended. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI run in progress: what it printed so far, and how it ends. */
export interface RunningCli {
  stdout(): string;
  stderr(): string;
  readonly finished: Promise<CliRun>;
}

/**
 * Starts the CLI in-process against buffers. `interrupt` stands in for Ctrl-C; `stdin` feeds
 * `publish -`.
 */
export function startCliForTest(
  argv: readonly string[],
  options: { interrupt?: AbortSignal; stdin?: string; env?: Record<string, string> } = {},
): RunningCli {
  const stdout = collector();
  const stderr = collector();
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  const io: CliIo = {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin,
    env: options.env ?? {},
    interrupt: options.interrupt ?? new AbortController().signal,
  };
  const finished = runCli(argv, io).then(async (code) => {
    // Let the buffers' data events run.
    await new Promise((resolve) => setImmediate(resolve));
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  });
  return { stdout: stdout.text, stderr: stderr.text, finished };
}

export function runCliForTest(
  argv: readonly string[],
  options: { interrupt?: AbortSignal; stdin?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  return startCliForTest(argv, options).finished;
}

function collector() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
