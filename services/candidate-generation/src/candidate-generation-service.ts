import { candidatesv1 } from '@feedmesh/contracts';
import { bindService, type ServiceBinding } from '@feedmesh/service-kit';
import type { CallContext } from 'nice-grpc-common';
import type { CandidateGenerator } from './candidate-generator.js';
import type { CandidateStore } from './candidate-store.js';
import { RequestLookup } from './request-lookup.js';
import {
  parseDescribePostsRequest,
  parseGenerateRequest,
  parseTrendingRequest,
} from './requests.js';
import type { TrendingDetector } from './trending-detector.js';

export interface CandidateGenerationServiceDeps {
  readonly generator: CandidateGenerator;
  readonly trending: TrendingDetector;
  readonly store: CandidateStore;
  readonly defaultTrendingWindowMs: number;
  readonly clock: () => number;
}

/** The gRPC face: validate, then hand over to the generator or the trending detector. */
export function candidateGenerationService(deps: CandidateGenerationServiceDeps): ServiceBinding {
  return bindService(candidatesv1.CandidateGenerationServiceDefinition, {
    async generate(
      request: candidatesv1.GenerateRequest,
      context: CallContext,
    ): Promise<candidatesv1.GenerateResponse> {
      const query = parseGenerateRequest(request, deps.generator.sourceNames);
      return deps.generator.generate(query, context.signal);
    },

    async describePosts(
      request: candidatesv1.DescribePostsRequest,
    ): Promise<candidatesv1.DescribePostsResponse> {
      const postIds = parseDescribePostsRequest(request);
      const [posts, summaries] = await Promise.all([
        deps.store.posts(postIds),
        deps.store.summaries(postIds),
      ]);
      const described: candidatesv1.PostDescription[] = [];
      for (const postId of postIds) {
        const post = posts.get(postId);
        if (post === undefined) continue;
        described.push({
          postId,
          blogId: post.blogId,
          tags: [...post.tags],
          summary: summaries.get(postId) ?? '',
          createdAtMs: post.createdAtMs,
          reblogOf: post.reblogOf,
        });
      }
      return { posts: described };
    },

    async trending(
      request: candidatesv1.TrendingRequest,
      context: CallContext,
    ): Promise<candidatesv1.TrendingResponse> {
      const { limit, windowMs } = parseTrendingRequest(request);
      const now = deps.trending.trending(windowMs || deps.defaultTrendingWindowMs, deps.clock());
      const { tags, posts } = await now;
      const trendByPost = new Map(posts.map((trend) => [trend.id, trend]));
      // Posts deleted since they were counted are left out, so read a few past the limit.
      const live = await new RequestLookup(deps.store).firstLive(
        posts.map((trend) => trend.id),
        new Set(),
        limit,
        context.signal,
      );
      return {
        tags: tags.slice(0, limit).map(({ id, score, observed, expected }) => ({
          tag: id,
          score,
          observed,
          expected,
        })),
        posts: live.map((post) => {
          const { score, observed, expected } = trendByPost.get(post.postId)!;
          return { postId: post.postId, blogId: post.blogId, score, observed, expected };
        }),
      };
    },
  });
}
