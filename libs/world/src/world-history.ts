import type { eventsv1 } from '@feedmesh/contracts';
import type { FollowTargetSampler } from './blog-sampler.js';
import type { EventIds } from './hour-events.js';
import type { SeededRandom } from './random.js';
import { DAY_MS } from './world-options.js';
import { blogId, userId, type WorldTruth } from './world-truth.js';

/** Initial follows are spread over this long before the window opens. */
const FOLLOW_HISTORY_MS = 60 * DAY_MS;

export interface InitialFollows {
  readonly users: Int32Array;
  readonly blogs: Int32Array;
  readonly at: Float64Array;
}

/**
 * Each user follows a handful of blogs about their interests (and a few popular ones), chosen
 * among blogs that existed before the window, at times after each blog was created.
 */
export function drawInitialFollows(
  random: SeededRandom,
  truth: WorldTruth,
  targets: FollowTargetSampler,
  ownerOf: readonly number[],
  followsOf: number[][],
): InitialFollows {
  const users: number[] = [];
  const blogs: number[] = [];
  const at: number[] = [];
  const windowStart = truth.windowStartMs;
  truth.users.forEach((person, u) => {
    const wanted = Math.max(1, Math.round(random.logNormal(6, 0.6) * Math.sqrt(person.activity)));
    const follows = followsOf[u]!;
    const weights = person.interests.map((i) => i.weight);
    for (let tries = 0; follows.length < Math.min(wanted, 150) && tries < wanted * 3; tries += 1) {
      const topic = random.chance(0.85)
        ? person.interests[random.weighted(weights)]!.topic
        : undefined;
      const blog = targets.draw(random, topic, windowStart);
      if (blog === undefined || ownerOf[blog] === u || follows.includes(blog)) continue;
      follows.push(blog);
      const created = truth.blogs[blog]!.createdAtMs;
      users.push(u);
      blogs.push(blog);
      at.push(random.between(Math.max(created + 1, windowStart - FOLLOW_HISTORY_MS), windowStart));
    }
  });
  return {
    users: Int32Array.from(users),
    blogs: Int32Array.from(blogs),
    at: Float64Array.from(at),
  };
}

/** The history before the window in time order: blog creations and the initial follows. */
export function* mergeHistory(
  truth: WorldTruth,
  createdBlogs: number,
  follows: InitialFollows,
  ids: EventIds,
): Generator<eventsv1.Event> {
  const order = Uint32Array.from({ length: follows.at.length }, (_, i) => i);
  order.sort((a, b) => (follows.at[a] as number) - (follows.at[b] as number) || a - b);
  let b = 0;
  for (const f of order) {
    const followAt = Math.floor(follows.at[f] as number);
    while (b < createdBlogs && truth.blogs[b]!.createdAtMs <= followAt) {
      yield blogCreatedEvent(truth, b, ids);
      b += 1;
    }
    yield ids.event(followAt, {
      $case: 'follow',
      value: {
        userId: userId(follows.users[f] as number),
        blogId: blogId(follows.blogs[f] as number),
      },
    });
  }
  for (; b < createdBlogs; b += 1) yield blogCreatedEvent(truth, b, ids);
}

function blogCreatedEvent(truth: WorldTruth, b: number, ids: EventIds): eventsv1.Event {
  const blog = truth.blogs[b]!;
  return ids.event(blog.createdAtMs, {
    $case: 'blogCreated',
    value: { blogId: blog.id, ownerUserId: blog.ownerUserId, name: blog.name, title: blog.title },
  });
}
