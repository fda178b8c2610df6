import { gatewayv1, type eventsv1 } from '@feedmesh/contracts';
import { bindService, type RunningServer } from '@feedmesh/service-kit';
import { startTestGrpcServer } from '@feedmesh/testing';

/** A post the scripted gateway can serve. */
export interface ScriptedPost {
  readonly postId: string;
  readonly blogId: string;
  readonly tags: readonly string[];
}

export interface ScriptedGatewayOptions {
  /** The posts `userId` is served, in order, a page at a time, never the same post twice. */
  readonly feedOf: (userId: string) => readonly ScriptedPost[];
  /** The variant reported for every user in experiment `exp`. */
  readonly variantOf?: (userId: string) => string;
}

/**
 * A gateway whose feeds are a fixed script per user, over real gRPC: what the simulator is
 * served is decided by the test, not by a ranking, so its reactions can be checked against
 * what it was given. Records every event published.
 */
export interface ScriptedGateway {
  readonly address: string;
  readonly published: eventsv1.Event[];
  stop(): Promise<void>;
}

export async function startScriptedGateway(
  options: ScriptedGatewayOptions,
): Promise<ScriptedGateway> {
  const served = new Map<string, number>();
  const published: eventsv1.Event[] = [];
  const server: RunningServer = await startTestGrpcServer('scripted-gateway', [
    bindService(gatewayv1.FeedGatewayServiceDefinition, {
      async getFeed(request) {
        const feed = options.feedOf(request.userId);
        const from = served.get(request.userId) ?? 0;
        const page = feed.slice(from, from + request.pageSize);
        served.set(request.userId, from + page.length);
        return gatewayv1.GetFeedResponse.fromPartial({
          requestId: `r-${request.userId}-${from}`,
          items: page.map((post, i) => ({ ...post, tags: [...post.tags], position: from + i })),
          nextCursor: from + page.length < feed.length ? `c${from + page.length}` : '',
          experiments: options.variantOf
            ? [{ experiment: 'exp', variant: options.variantOf(request.userId) }]
            : [],
        });
      },
      async search() {
        return gatewayv1.SearchResponse.fromPartial({});
      },
      async listNotifications() {
        return gatewayv1.ListNotificationsResponse.fromPartial({});
      },
      async *subscribeNotifications() {},
      async markNotificationsRead() {
        return { unreadCount: 0 };
      },
      async publishEvents(request) {
        published.push(...request.events);
        return { accepted: request.events.length };
      },
    }),
  ]);
  return { address: server.address, published, stop: () => server.shutdown('test over') };
}
