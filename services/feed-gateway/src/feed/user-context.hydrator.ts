import type { FeatureStoreClient } from '../downstream.js';
import type { UserContext } from './feed-query.js';

/** Query hydration: the reader's features and the sets the filters need, from the feature store. */
export class UserContextHydrator {
  readonly name = 'user-context';

  constructor(private readonly featureStore: FeatureStoreClient) {}

  async hydrate(userId: string, deadlineMs: number, signal: AbortSignal): Promise<UserContext> {
    const response = await this.featureStore.getUserFeatures(
      { userId, maxListSize: 1_000 },
      { deadline: deadlineMs, signal },
    );
    const served = new Set(response.servedPostIds);
    for (const postId of response.engagedPostIds) served.add(postId);
    return {
      known: response.known,
      features: response.features,
      served,
      hiddenPosts: new Set(response.hiddenPostIds),
      blockedBlogs: new Set(response.blockedBlogIds),
      followedBlogs: new Set(response.followedBlogIds),
      ownBlogs: new Set(response.ownBlogIds),
    };
  }
}
