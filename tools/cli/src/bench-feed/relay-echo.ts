import { echov1 } from '@feedmesh/contracts';
import { bindService, createServiceClient, type ServiceBinding } from '@feedmesh/service-kit';

/**
 * The downstream calls GetFeed makes, one after the other (services/feed-gateway's
 * FeedPipeline): GetUserFeatures, Generate, GetFeatures, Rank and DescribePosts.
 */
export const FEED_DOWNSTREAM_CALLS = 5;

export interface RelayEcho {
  readonly binding: ServiceBinding;
  close(): void;
}

/**
 * The echo service of a mesh that does no work: each call is passed on to the echo server at
 * `downstream` `calls` times in turn, with the same payload, and then answered. Called with
 * the feed's response size and FEED_DOWNSTREAM_CALLS, it is the most feeds/s any gateway of
 * this shape can serve on this machine: every RPC of the feed path, no work between them, and
 * every hop carrying the smallest payload of the path.
 */
export function relayEcho(downstream: string, calls: number): RelayEcho {
  const handle = createServiceClient(echov1.EchoServiceDefinition, downstream, {
    deadlineMs: 30_000,
  });
  const binding = bindService(echov1.EchoServiceDefinition, {
    async echo(request: echov1.EchoRequest, context): Promise<echov1.EchoResponse> {
      for (let i = 0; i < calls; i++) {
        await handle.client.echo(
          { payload: request.payload, delayMs: 0 },
          { signal: context.signal, retry: false },
        );
      }
      return { payload: request.payload };
    },
  });
  return { binding, close: () => handle.close() };
}
