import { meter } from '@feedmesh/telemetry';

/**
 * What SREs watch of GetFeed besides its RPC metrics, which count a degraded feed as a success:
 * the stages that failed open, and the impressions the event log did not take (lost training
 * data, and posts the feature store will not know were served).
 */
export interface FeedMetrics {
  /** `component` as in GetFeedResponse.degraded: a service, or `source:<name>`. */
  degraded(component: string): void;
  impressionsLost(count: number): void;
}

/** Take it after the process's telemetry started: a meter taken before records nothing. */
export function createFeedMetrics(): FeedMetrics {
  const m = meter('@feedmesh/feed-gateway');
  const degraded = m.createCounter('feedmesh.feed.degraded', {
    description: 'GetFeed stages that failed open, by component (as in the response)',
    unit: '{stage}',
  });
  const lost = m.createCounter('feedmesh.feed.impressions_lost', {
    description: 'Impressions of served items that the event log did not take',
    unit: '{event}',
  });
  return {
    degraded: (component) => degraded.add(1, { 'feedmesh.component': component }),
    impressionsLost: (count) => lost.add(count),
  };
}
