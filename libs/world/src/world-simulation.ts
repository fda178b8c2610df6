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
 * Measured average of engagement events per session: it turns the `engagements` option into
 * a number of sessions (world.test.ts checks the count lands near the option).
 */
const ENGAGEMENTS_PER_SESSION = 2.8;
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
  const sessions = Math.round(parameters.engagements / ENGAGEMENTS_PER_SESSION);
  const sessionsPerHour = allocate(sessions, hourWeights);
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

    for (let i = 0; i < (sessionsPerHour[h] as number); i += 1) {
      const at = random.between(start, end);
      const user = visits.drawActiveUser(at);
      if (user !== undefined) visits.run(user, at, end, out);
    }

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
