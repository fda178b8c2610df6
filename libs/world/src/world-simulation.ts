import type { eventsv1 } from '@feedmesh/contracts';
import { FollowTargetSampler } from './blog-sampler.js';
import { EventIds, HourEvents } from './hour-events.js';
import { PostFactory } from './post-factory.js';
import { PrefixSampler, SeededRandom } from './random.js';
import { RecentPosts, type PostRecord } from './recent-posts.js';
import { SessionSimulator } from './session-simulator.js';
import { TOPICS } from './topics.js';
import { HOUR_MS } from './world-options.js';
import { drawInitialFollows, mergeHistory } from './world-history.js';
import { postId, type WorldTruth } from './world-truth.js';

/**
 * Engagement events per session, about: the first estimate of SessionRate, and what an
 * hour's sessions are capped by. The real rate depends on the world (2.4 in the small
 * preset, 2.9 in the medium: a small world's sessions more often come across nothing, or
 * nothing new), and a fixed 2.8 left the small preset 8-13% short of `engagements` and the
 * medium 2% over.
 */
const ENGAGEMENTS_PER_SESSION = 2.8;
/**
 * An hour runs at most this many times the sessions ENGAGEMENTS_PER_SESSION plans for it. A
 * shortfall is spread over the hours left, so the first sparse hours of a small world (few
 * posts to come across yet) do not turn into a burst of sessions.
 */
const MAX_SESSIONS_PER_PLANNED = 1.5;
/** The least SessionRate assumes; below it the cap decides anyway. */
const MIN_ENGAGEMENTS_PER_SESSION = 0.1;
const DELETED_POST_SHARE = 0.003;
/** A deleted post goes within this many hours of its creation. */
const DELETION_DELAY_HOURS = 72;

/**
 * The world's events in time order, generated lazily hour by hour: nothing is kept but the
 * cast, the follow graph and a bounded window of recent posts, so a million-post world
 * streams. Calling it again with the same truth yields the same events.
 *
 * An event only ever refers to things created in an earlier hour (or, in the history before
 * the window, earlier in time), so every prefix of the stream is consistent on its own.
 */
export function* simulateWorld(truth: WorldTruth): Generator<eventsv1.Event> {
  const parameters = truth.parameters;
  // A stream of its own, so the events do not depend on how many draws the cast took.
  const random = new SeededRandom((parameters.seed ^ 0x5bd1e995) >>> 0);
  const ids = new EventIds(parameters);
  const blogs = truth.blogs;
  const ownerOf = blogs.map((blog) => Number(blog.ownerUserId.slice(1)) - 1);
  const followsOf: number[][] = truth.users.map(() => []);

  // History: blogs that existed before the window, and the follow graph people had built.
  let createdBlogs = 0;
  while (createdBlogs < blogs.length && blogs[createdBlogs]!.createdAtMs < truth.windowStartMs) {
    createdBlogs += 1;
  }
  const follows = new FollowTargetSampler(blogs);
  const history = drawInitialFollows(random, truth, follows, ownerOf, followsOf);
  yield* mergeHistory(truth, createdBlogs, history, ids);

  const hours = parameters.days * 24;
  const hourWeights = Array.from({ length: hours }, (_, h) =>
    diurnalWeight(truth.windowStartMs + h * HOUR_MS),
  );
  const postsPerHour = allocate(parameters.posts, hourWeights);
  const totalWeight = hourWeights.reduce((a, b) => a + b, 0);
  const plannedSessions = parameters.engagements / ENGAGEMENTS_PER_SESSION;
  const rate = new SessionRate(ENGAGEMENTS_PER_SESSION);
  let engaged = 0;
  let weightLeft = totalWeight;
  // The fraction of a session an hour wanted and did not run (a small world wants less than
  // one an hour): carried on, or rounding would leave such a world without sessions.
  let sessionCarry = 0;
  const postingBlogs = new PrefixSampler(blogs.map((blog) => blog.postRate));
  const recent = new RecentPosts(TOPICS.length, blogs.length);
  const posts = new PostFactory(random, truth, recent);
  const visits = new SessionSimulator(
    random,
    truth,
    recent,
    new PrefixSampler(truth.users.map((user) => user.activity)),
    followsOf,
    ownerOf,
  );
  const pendingDeletions = new Map<number, PostRecord[]>();
  // A blog that starts during the window posts in its next hour, within an hour of its
  // creation: a new creator with no posts would be invisible to every source.
  const firstPosts: number[] = [];
  let nextPost = 0;

  for (let h = 0; h < hours; h += 1) {
    const start = truth.windowStartMs + h * HOUR_MS;
    const end = Math.min(start + HOUR_MS, truth.nowMs);
    const out = new HourEvents();

    for (const post of pendingDeletions.get(h) ?? []) {
      post.deleted = true;
      out.add(random.between(start, end), { $case: 'postDeleted', value: { postId: post.id } });
    }
    pendingDeletions.delete(h);

    // Only blogs created before this hour post in it.
    const created: PostRecord[] = [];
    for (let i = 0; i < (postsPerHour[h] as number); i += 1) {
      const first = firstPosts.shift();
      const blog = first ?? (postingBlogs.draw(random, createdBlogs) as number);
      // A new blog's first post comes within an hour of its creation (in the previous hour).
      const latest = first === undefined ? end : Math.min(end, blogs[first]!.createdAtMs + HOUR_MS);
      const at = random.between(start, Math.max(start + 1, latest));
      const post = posts.create(blog, postId(nextPost), at, out);
      nextPost += 1;
      created.push(post);
      if (random.chance(DELETED_POST_SHARE)) {
        const when = h + random.int(1, DELETION_DELAY_HOURS);
        if (when < hours) pendingDeletions.set(when, [...(pendingDeletions.get(when) ?? []), post]);
      }
    }

    // This hour's share of the engagements still to come, by its weight among the hours left,
    // in as many sessions as the recent rate says that takes.
    const weight = hourWeights[h] as number;
    const hourTarget = (Math.max(0, parameters.engagements - engaged) * weight) / weightLeft;
    weightLeft -= weight;
    const wanted =
      Math.min(
        hourTarget / rate.perSession(),
        (MAX_SESSIONS_PER_PLANNED * plannedSessions * weight) / totalWeight,
      ) + sessionCarry;
    const hourSessions = Math.floor(wanted);
    sessionCarry = wanted - hourSessions;
    let hourEngaged = 0;
    for (let i = 0; i < hourSessions; i += 1) {
      const at = random.between(start, end);
      const user = visits.drawActiveUser(at);
      if (user !== undefined) hourEngaged += visits.run(user, at, end, out);
    }
    rate.record(hourSessions, hourEngaged);
    engaged += hourEngaged;

    while (createdBlogs < blogs.length && blogs[createdBlogs]!.createdAtMs < end) {
      const blog = blogs[createdBlogs]!;
      out.add(blog.createdAtMs, {
        $case: 'blogCreated',
        value: {
          blogId: blog.id,
          ownerUserId: blog.ownerUserId,
          name: blog.name,
          title: blog.title,
        },
      });
      firstPosts.push(createdBlogs);
      createdBlogs += 1;
    }

    // This hour's posts can be seen from the next hour on.
    for (const post of created) recent.add(post);
    yield* out.drain(ids);
  }
}

/**
 * Engagements per session over the last hours: a decayed average, so it follows the rate as
 * the world fills up with posts (the whole run's average would lag). It starts from a guess
 * that weighs as much as GUESS_SESSIONS sessions and decays like them.
 */
class SessionRate {
  /** Each hour's weight in the average, relative to the next hour's. */
  private static readonly DECAY = 0.5;
  private static readonly GUESS_SESSIONS = 10;
  private sessions = SessionRate.GUESS_SESSIONS;
  private engagements: number;

  constructor(guess: number) {
    this.engagements = guess * SessionRate.GUESS_SESSIONS;
  }

  record(sessions: number, engagements: number): void {
    this.sessions = this.sessions * SessionRate.DECAY + sessions;
    this.engagements = this.engagements * SessionRate.DECAY + engagements;
  }

  perSession(): number {
    // An hour with no engagements at all (nothing posted yet) must not stop every later one.
    return Math.max(this.engagements / this.sessions, MIN_ENGAGEMENTS_PER_SESSION);
  }
}

/** More activity in the (UTC) evening than at night, as on a real site. */
function diurnalWeight(atMs: number): number {
  const hour = new Date(atMs).getUTCHours();
  return 1 + 0.5 * Math.cos((2 * Math.PI * (hour - 20)) / 24);
}

/** Splits `total` into integer parts proportional to `weights` that sum exactly to `total`. */
export function allocate(total: number, weights: readonly number[]): Int32Array {
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = new Int32Array(weights.length);
  const remainders: { index: number; remainder: number }[] = [];
  let assigned = 0;
  weights.forEach((weight, index) => {
    const exact = (total * weight) / sum;
    const whole = Math.floor(exact);
    parts[index] = whole;
    assigned += whole;
    remainders.push({ index, remainder: exact - whole });
  });
  remainders.sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (let i = 0; i < total - assigned; i += 1) {
    const slot = remainders[i % remainders.length]!.index;
    parts[slot] = (parts[slot] as number) + 1;
  }
  return parts;
}
