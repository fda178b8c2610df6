import { commonv1 } from '@feedmesh/contracts';
import type { HourEvents } from './hour-events.js';
import type { PrefixSampler, SeededRandom } from './random.js';
import type { PostRecord, RecentPosts } from './recent-posts.js';
import { TOPICS } from './topics.js';
import { blogId, type WorldTruth } from './world-truth.js';

const { ENGAGEMENT_KIND_LIKE: LIKE, ENGAGEMENT_KIND_REBLOG: REBLOG } = commonv1.EngagementKind;
const { ENGAGEMENT_KIND_REPLY: REPLY, ENGAGEMENT_KIND_SHARE: SHARE } = commonv1.EngagementKind;
const { ENGAGEMENT_KIND_CLICK: CLICK, ENGAGEMENT_KIND_HIDE: HIDE } = commonv1.EngagementKind;

/** What one engaging view turns into, for a post in the user's interests. */
const INTERESTED_KINDS = [LIKE, REBLOG, REPLY, SHARE, CLICK] as const;
const INTERESTED_WEIGHTS = [0.6, 0.13, 0.08, 0.04, 0.15];
/** Chance that a session includes a post from outside the user's interests (mostly hidden). */
const EXPLORE_CHANCE = 0.1;
/** Chance a user follows the blog of a post they engaged with positively. */
const FOLLOW_AFTER_ENGAGEMENT = 0.1;
/** Posts a session comes across: 1 plus a Poisson count with this mean. */
const EXTRA_VIEWS_MEAN = 2;
/** Chance a viewed post comes from a followed blog rather than from an interest's topic. */
const FROM_FOLLOWED_CHANCE = 0.45;
/** What happens to an off-interest post (a followed blog's side topic, an explore pick). */
const OFF_INTEREST_HIDE_CHANCE = 0.35;
const OFF_INTEREST_CLICK_CHANCE = 0.45;
const EXPLORE_HIDE_CHANCE = 0.6;
/** Mean gap between two actions in a session, ms (plus one second). */
const ACTION_GAP_MS = 45_000;
/** Lapsed users drawn for a session after they lapsed are redrawn, at most this often. */
const DRAW_TRIES = 5;

/** Who opens the app when, and what they do there. */
export class SessionSimulator {
  constructor(
    private readonly random: SeededRandom,
    private readonly truth: WorldTruth,
    private readonly recent: RecentPosts,
    /** Drawn by activity. */
    private readonly users: PrefixSampler,
    /** Blogs each user follows (indexes); sessions add to it. */
    private readonly followsOf: number[][],
    /** The owner (user index) of each blog: nobody engages with their own posts. */
    private readonly ownerOf: readonly number[],
  ) {}

  /** A user who opens the app at `at`: by activity, never a lapsed user after they lapsed. */
  drawActiveUser(at: number): number | undefined {
    for (let tries = 0; tries < DRAW_TRIES; tries += 1) {
      const user = this.users.draw(this.random);
      if (user === undefined) return undefined;
      const lapsedAfter = this.truth.users[user]!.lapsedAfterMs;
      if (lapsedAfter === undefined || at < lapsedAfter) return user;
    }
    return undefined;
  }

  /**
   * One visit: the user opens the app, comes across a few posts of blogs they follow and of
   * their interests, and engages with them; now and then something off-topic, mostly hidden.
   * Everything happens before `end`, the end of the hour. Returns how many engagements
   * (likes, reblogs, replies, shares, clicks, hides) it added.
   */
  run(user: number, at: number, end: number, out: HourEvents): number {
    const person = this.truth.users[user]!;
    const uid = person.id;
    const follows = this.followsOf[user]!;
    out.add(at, { $case: 'sessionStarted', value: { userId: uid } });
    let clock = at;
    const tick = () => {
      clock = Math.min(clock + 1_000 + this.random.exponential(ACTION_GAP_MS), end - 1);
      return clock;
    };
    const seen: string[] = [];
    let engagements = 0;
    const views = 1 + this.random.poisson(EXTRA_VIEWS_MEAN);
    for (let v = 0; v < views; v += 1) {
      const fromFollow = follows.length > 0 && this.random.chance(FROM_FOLLOWED_CHANCE);
      const post = fromFollow
        ? this.recent.fromBlog(this.random, this.random.pick(follows))
        : this.recent.fromTopic(
            this.random,
            person.interests[this.random.weighted(person.interests.map((i) => i.weight))]!.topic,
          );
      if (post === undefined || seen.includes(post.id) || this.ownerOf[post.blog] === user)
        continue;
      seen.push(post.id);
      const interested = person.interests.some((i) => i.topic === post.topic);
      if (!interested) {
        if (this.random.chance(OFF_INTEREST_HIDE_CHANCE)) {
          engage(out, tick(), uid, post, HIDE);
          engagements += 1;
        } else if (this.random.chance(OFF_INTEREST_CLICK_CHANCE)) {
          engage(out, tick(), uid, post, CLICK);
          engagements += 1;
        }
        continue;
      }
      const kind = INTERESTED_KINDS[this.random.weighted(INTERESTED_WEIGHTS)]!;
      engage(out, tick(), uid, post, kind);
      engagements += 1;
      if (kind !== CLICK) post.engagements += 1;
      if (
        kind !== CLICK &&
        !follows.includes(post.blog) &&
        this.random.chance(FOLLOW_AFTER_ENGAGEMENT)
      ) {
        follows.push(post.blog);
        out.add(tick(), { $case: 'follow', value: { userId: uid, blogId: blogId(post.blog) } });
      }
    }
    if (this.random.chance(EXPLORE_CHANCE)) {
      const other = this.random.int(0, TOPICS.length - 1);
      if (person.interests.some((i) => i.topic === other)) return engagements;
      const post = this.recent.fromTopic(this.random, other);
      if (post === undefined || this.ownerOf[post.blog] === user || seen.includes(post.id)) {
        return engagements;
      }
      engage(out, tick(), uid, post, this.random.chance(EXPLORE_HIDE_CHANCE) ? HIDE : CLICK);
      engagements += 1;
    }
    return engagements;
  }
}

function engage(
  out: HourEvents,
  at: number,
  uid: string,
  post: PostRecord,
  kind: commonv1.EngagementKind,
): void {
  out.add(at, { $case: 'engagement', value: { userId: uid, postId: post.id, kind } });
}
