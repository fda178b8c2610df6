import { commonv1, notificationv1 } from '@feedmesh/contracts';
import type { Logger } from '@feedmesh/service-kit';
import { withSpan } from '@feedmesh/telemetry';
import type { DigestEntry, DigestStore } from './digest-store.js';
import type { DirectoryStore } from './directory-store.js';
import type { InterestStore } from './interest-store.js';
import type { JobLeases } from './job-lease.js';
import type { CatchUp } from './log-catch-up.js';
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
  /**
   * Whether the consumer group had handled the log up to the run's start. When it had not
   * (a new group replaying the log, a backlog) the run told nobody: the counts are 0. False
   * too when another replica held the period's lease (this one did not look).
   */
  readonly caughtUp: boolean;
  readonly trendingTags: number;
  readonly entries: number;
}

/**
 * Tells users that a tag they care about is trending: asks candidate-generation's `Trending`,
 * and for each tag surprising enough, the users among its strongest fans who count it among
 * their top tags get a TRENDING candidate with the trending posts that carry the tag. A user
 * hears of one tag's trend at most once a day (the entry id names the UTC day); fatigue and
 * the budget limit the rest. One replica runs it per period (a lease).
 *
 * Who cares about a tag is learned from the log, so a run tells nobody until the group has
 * handled every event appended before the run started (CatchUp), as the reactivation job
 * does: a new group reading the log from the beginning has a user's old engagements before
 * their recent ones, and would rank a tag they have since moved on from among their top tags
 * (and has not read their recent blocks yet). Events appended after the start do not hold the
 * run back. A run that cannot start leaves the trend to the next period's run.
 */
export class TrendingJob {
  constructor(
    private readonly candidates: CandidatesClient,
    private readonly directory: DirectoryStore,
    private readonly interests: InterestStore,
    private readonly digests: DigestStore,
    private readonly leases: JobLeases,
    private readonly catchUp: CatchUp,
    private readonly holder: string,
    private readonly settings: TrendingJobSettings,
    private readonly onDigested: (entry: DigestEntry) => void,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {}

  /**
   * The periodic entry point: runs when this replica holds this period's lease (`signal` ends
   * the wait for the group to catch up: the service is stopping).
   */
  async runLeased(signal?: AbortSignal): Promise<TrendingRunReport> {
    const leased = await this.leases.tryLease(
      'trending',
      this.holder,
      this.clock(),
      Math.max(1_000, Math.floor(this.settings.intervalMs * 0.9)),
    );
    if (!leased) return { leased, caughtUp: false, trendingTags: 0, entries: 0 };
    return this.runOnce(signal);
  }

  /** Tells nobody unless the group has caught up with the log (`signal` ends that wait). */
  runOnce(signal?: AbortSignal): Promise<TrendingRunReport> {
    return withSpan('notification.trending.run', {}, async (span) => {
      const caughtUp = await this.catchUp.caughtUp(signal);
      span.setAttribute('notification.caught_up', caughtUp);
      if (!caughtUp) {
        this.logger.info(
          { job: 'trending' },
          'trending run skipped: the consumer group has not caught up with the log',
        );
        return { leased: true, caughtUp, trendingTags: 0, entries: 0 };
      }
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
      return { leased: true, caughtUp, trendingTags: tags.length, entries };
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
