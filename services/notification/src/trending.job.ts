import { commonv1, notificationv1 } from '@feedmesh/contracts';
import { withSpan } from '@feedmesh/telemetry';
import type { DigestEntry, DigestStore } from './digest-store.js';
import type { DirectoryStore } from './directory-store.js';
import type { InterestStore } from './interest-store.js';
import type { JobLeases } from './job-lease.js';
import type { CandidatesClient } from './mesh-clients.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TrendingJobSettings {
  /** Tags asked of Trending (and posts, to illustrate them). */
  readonly limit: number;
  /** Only tags at least this surprising (Trending's z-score-like score) notify anyone. */
  readonly minScore: number;
  /** A tag must be among a user's this-many strongest for its trend to notify them. */
  readonly topTags: number;
  /** Fans considered per tag: the strongest. */
  readonly maxFans: number;
  /** Posts named in one notification. */
  readonly postsPerTag: number;
  /** How often the job runs; the lease lasts a little less, ms. */
  readonly intervalMs: number;
}

export interface TrendingRunReport {
  readonly leased: boolean;
  readonly trendingTags: number;
  readonly entries: number;
}

/**
 * Tells users that a tag they care about is trending: asks candidate-generation's `Trending`,
 * and for each tag surprising enough, the users among its strongest fans who count it among
 * their top tags get a TRENDING candidate with the trending posts that carry the tag. A user
 * hears of one tag's trend at most once a day (the entry id names the UTC day); fatigue and
 * the budget limit the rest. One replica runs it per period (a lease).
 */
export class TrendingJob {
  constructor(
    private readonly candidates: CandidatesClient,
    private readonly directory: DirectoryStore,
    private readonly interests: InterestStore,
    private readonly digests: DigestStore,
    private readonly leases: JobLeases,
    private readonly holder: string,
    private readonly settings: TrendingJobSettings,
    private readonly onDigested: (entry: DigestEntry) => void,
    private readonly clock: () => number,
  ) {}

  /** The periodic entry point: runs when this replica holds this period's lease. */
  async runLeased(): Promise<TrendingRunReport> {
    const leased = await this.leases.tryLease(
      'trending',
      this.holder,
      this.clock(),
      Math.max(1_000, Math.floor(this.settings.intervalMs * 0.9)),
    );
    if (!leased) return { leased, trendingTags: 0, entries: 0 };
    return this.runOnce();
  }

  runOnce(): Promise<TrendingRunReport> {
    return withSpan('notification.trending.run', {}, async (span) => {
      const nowMs = this.clock();
      const trending = await this.candidates.trending({ limit: this.settings.limit, windowS: 0 });
      const tags = trending.tags.filter((t) => t.tag !== '' && t.score >= this.settings.minScore);
      const postTags = await this.tagsOfPosts(trending.posts.map((p) => p.postId));
      let entries = 0;
      for (const { tag } of tags) {
        const postIds = trending.posts
          .map((p) => p.postId)
          .filter((postId) => postTags.get(postId)?.includes(tag))
          .slice(0, this.settings.postsPerTag);
        const fans = await this.interests.fans('tag', tag, this.settings.maxFans);
        const recipients = await this.interests.amongTop(fans, 'tag', tag, this.settings.topTags);
        const day = Math.floor(nowMs / DAY_MS);
        const fanOut = recipients.map((userId) => trendingEntry(userId, tag, postIds, day, nowMs));
        // One round trip for the tag's fans (DigestStore.addAll), not one per fan.
        const added = await this.digests.addAll(fanOut, nowMs);
        fanOut.forEach((entry, i) => {
          if (added[i] !== 'added') return;
          this.onDigested(entry);
          entries += 1;
        });
      }
      span.setAttribute('notification.trending_tags', tags.length);
      span.setAttribute('notification.entries', entries);
      return { leased: true, trendingTags: tags.length, entries };
    });
  }

  private async tagsOfPosts(postIds: readonly string[]): Promise<Map<string, readonly string[]>> {
    const posts = await Promise.all(postIds.map((postId) => this.directory.post(postId)));
    return new Map(postIds.map((postId, i) => [postId, posts[i]?.tags ?? []]));
  }
}

function trendingEntry(
  userId: string,
  tag: string,
  postIds: readonly string[],
  day: number,
  nowMs: number,
): DigestEntry {
  return {
    subject: {
      userId,
      type: notificationv1.NotificationType.NOTIFICATION_TYPE_TRENDING,
      activityKind: commonv1.EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED,
      postId: '',
      blogId: '',
      topic: tag,
    },
    eventId: `trending|${tag}|${day}|${userId}`,
    actorIds: [],
    postIds,
    atMs: nowMs,
    windowMs: 0,
  };
}
