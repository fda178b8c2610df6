import { composeBlogName } from './post-text.js';
import { SeededRandom } from './random.js';
import { TOPICS, topicOfTag, type Topic } from './topics.js';
import { DAY_MS, HOUR_MS, LAPSE_MS, type WorldParameters } from './world-options.js';

/** A topic and how much of someone's attention (or a blog's posts) it gets; weights sum to 1. */
export interface TopicWeight {
  /** Index in `TOPICS`. */
  readonly topic: number;
  readonly name: string;
  readonly weight: number;
}

export interface WorldUser {
  readonly id: string;
  /** Hidden interests, heaviest first: what they engage with, what they hide is elsewhere. */
  readonly interests: readonly TopicWeight[];
  /** Relative session rate: a 4 opens the app about four times as often as a 1. */
  readonly activity: number;
  /** For a lapsed user, the time after which they open the app no more; else undefined. */
  readonly lapsedAfterMs: number | undefined;
  /** Blogs they own (ids). */
  readonly blogIds: readonly string[];
}

/**
 * `established`: created long ago, posts a lot, many followers. `new`: created in the last
 * `newCreatorDays` (the fresh-creators source's audience). `regular`: everyone else.
 */
export type BlogKind = 'established' | 'regular' | 'new';

export interface WorldBlog {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly ownerUserId: string;
  readonly topics: readonly TopicWeight[];
  readonly kind: BlogKind;
  readonly createdAtMs: number;
  /** Relative posting rate. */
  readonly postRate: number;
  /** Relative pull on followers. */
  readonly popularity: number;
}

/**
 * What is true about a world but not visible in its events: people's interests, who is
 * lapsed, which blogs are new creators. Tests check the system against it; the simulator
 * decides what a user would do from it.
 */
export interface WorldTruth {
  readonly parameters: WorldParameters;
  /** The first moment of the simulated activity window (`now - days`). */
  readonly windowStartMs: number;
  readonly nowMs: number;
  readonly topics: typeof TOPICS;
  /** Users in id order (`u1`, `u2`, ...). */
  readonly users: readonly WorldUser[];
  /** Blogs in creation order, which is id order (`b1` is the oldest). */
  readonly blogs: readonly WorldBlog[];
  readonly newCreatorBlogIds: readonly string[];
  readonly establishedBlogIds: readonly string[];
  readonly lapsedUserIds: readonly string[];
  user(id: string): WorldUser | undefined;
  blog(id: string): WorldBlog | undefined;
  /** The index in `TOPICS` of the topic a tag belongs to. */
  topicOfTag(tag: string): number | undefined;
  /** How much `userId` cares about `topic` (0 when not at all, or unknown user). */
  interest(userId: string, topic: number): number;
}

export const userId = (index: number): string => `u${index + 1}`;
export const blogId = (index: number): string => `b${index + 1}`;
export const postId = (index: number): string => `p${index + 1}`;

/** Draws users and blogs. Uses its own random stream, so events never shift the cast. */
export function planWorld(parameters: WorldParameters): WorldTruth {
  const random = new SeededRandom(parameters.seed);
  const nowMs = parameters.now;
  const windowStartMs = nowMs - parameters.days * DAY_MS;
  const topicPopularity = TOPICS.map((topic) => topic.popularity);

  const interests: TopicWeight[][] = [];
  const activity: number[] = [];
  for (let u = 0; u < parameters.users; u += 1) {
    interests.push(drawInterests(random, topicPopularity));
    activity.push(clamp(random.logNormal(1, 0.9), 0.05, 12));
  }
  const lapsedAfterMs: (number | undefined)[] = interests.map(() => undefined);
  const lapsedCount = Math.round(parameters.users * parameters.lapsedShare);
  const lastLapseMs = nowMs - LAPSE_MS - HOUR_MS;
  const firstLapseMs = Math.min(windowStartMs + 2 * DAY_MS, lastLapseMs);
  for (const u of shuffled(random, parameters.users).slice(0, lapsedCount)) {
    lapsedAfterMs[u] = Math.round(random.between(firstLapseMs, lastLapseMs));
    // A lapsed user was a regular one: enough sessions before lapsing to have a history.
    activity[u] = Math.max(activity[u] as number, 1.5);
  }

  const drafts = drawBlogs(random, parameters, interests, topicPopularity, windowStartMs);
  drafts.sort((a, b) => a.createdAtMs - b.createdAtMs);
  const takenNames = new Set<string>();
  const ownedBlogs: string[][] = interests.map(() => []);
  const blogs: WorldBlog[] = drafts.map((draft, index) => {
    const id = blogId(index);
    // A blog is named after its main topic, which drawBlogTopics puts first.
    const primary = TOPICS[draft.topics[0]!.topic] as Topic;
    const { name, title } = composeBlogName(random, primary, takenNames, String(index + 1));
    ownedBlogs[draft.owner]?.push(id);
    return { ...draft, id, name, title, ownerUserId: userId(draft.owner) };
  });

  const users: WorldUser[] = interests.map((userInterests, u) => ({
    id: userId(u),
    interests: userInterests,
    activity: activity[u] as number,
    lapsedAfterMs: lapsedAfterMs[u],
    blogIds: ownedBlogs[u] ?? [],
  }));
  const userIndex = new Map(users.map((user, i) => [user.id, i]));
  const blogIndex = new Map(blogs.map((blog, i) => [blog.id, i]));

  return {
    parameters,
    windowStartMs,
    nowMs,
    topics: TOPICS,
    users,
    blogs,
    newCreatorBlogIds: blogs.filter((b) => b.kind === 'new').map((b) => b.id),
    establishedBlogIds: blogs.filter((b) => b.kind === 'established').map((b) => b.id),
    lapsedUserIds: users.filter((u) => u.lapsedAfterMs !== undefined).map((u) => u.id),
    user: (id) => users[userIndex.get(id) ?? -1],
    blog: (id) => blogs[blogIndex.get(id) ?? -1],
    topicOfTag,
    interest(id, topic) {
      const user = users[userIndex.get(id) ?? -1];
      return user?.interests.find((i) => i.topic === topic)?.weight ?? 0;
    },
  };
}

interface BlogDraft {
  readonly owner: number;
  readonly topics: readonly TopicWeight[];
  readonly kind: BlogKind;
  readonly createdAtMs: number;
  readonly postRate: number;
  readonly popularity: number;
}

function drawBlogs(
  random: SeededRandom,
  parameters: WorldParameters,
  interests: readonly (readonly TopicWeight[])[],
  topicPopularity: readonly number[],
  windowStartMs: number,
): BlogDraft[] {
  const nowMs = parameters.now;
  const established = Math.max(1, Math.round(parameters.blogs * 0.1));
  const fresh = parameters.blogs >= 3 ? Math.max(1, Math.round(parameters.blogs * 0.1)) : 0;
  // Owners are distinct people while there are enough of them: most users own nothing.
  const owners = shuffled(random, parameters.users);
  const drafts: BlogDraft[] = [];
  for (let b = 0; b < parameters.blogs; b += 1) {
    const kind: BlogKind =
      b < established ? 'established' : b < established + fresh ? 'new' : 'regular';
    const owner = owners[b % owners.length] as number;
    const ownerTop = interests[owner]?.[0]?.topic;
    const primary =
      ownerTop !== undefined && random.chance(0.75) ? ownerTop : random.weighted(topicPopularity);
    const topics = drawBlogTopics(random, primary, topicPopularity);
    let createdAtMs: number;
    let postRate: number;
    let popularity: number;
    if (kind === 'established') {
      createdAtMs = nowMs - random.between(180, 1500) * DAY_MS;
      postRate = random.logNormal(6, 0.4);
      popularity = random.logNormal(30, 0.5);
    } else if (kind === 'new') {
      createdAtMs = nowMs - random.between(HOUR_MS * 2, parameters.newCreatorDays * DAY_MS);
      postRate = random.logNormal(2, 0.4);
      popularity = 0.5;
    } else {
      // A tenth of ordinary blogs started during the window, but before the new-creator cutoff.
      const recent = random.chance(0.1);
      const newest = parameters.newCreatorDays * DAY_MS + HOUR_MS;
      createdAtMs = recent
        ? nowMs - random.between(newest, Math.max(newest, nowMs - windowStartMs))
        : nowMs - random.between(40, 900) * DAY_MS;
      postRate = random.logNormal(1, 0.7);
      popularity = random.logNormal(1, 0.8);
    }
    drafts.push({
      owner,
      topics,
      kind,
      createdAtMs: Math.round(createdAtMs),
      postRate,
      popularity,
    });
  }
  return drafts;
}

function drawInterests(random: SeededRandom, topicPopularity: readonly number[]): TopicWeight[] {
  const count = random.int(2, 4);
  const chosen: number[] = [];
  while (chosen.length < count) {
    const topic = random.weighted(topicPopularity);
    if (!chosen.includes(topic)) chosen.push(topic);
  }
  const raw = chosen.map(() => random.between(0.2, 1));
  raw.sort((a, b) => b - a);
  return normalize(chosen.map((topic, i) => ({ topic, weight: raw[i] as number })));
}

function drawBlogTopics(
  random: SeededRandom,
  primary: number,
  topicPopularity: readonly number[],
): TopicWeight[] {
  const topics = [{ topic: primary, weight: 0.7 }];
  const extra = random.int(0, 2);
  for (let i = 0; i < extra; i += 1) {
    const topic = random.weighted(topicPopularity);
    if (!topics.some((t) => t.topic === topic)) topics.push({ topic, weight: 0.3 / extra });
  }
  return normalize(topics);
}

function normalize(weights: readonly { topic: number; weight: number }[]): TopicWeight[] {
  const total = weights.reduce((sum, w) => sum + w.weight, 0);
  return weights.map((w) => ({
    topic: w.topic,
    name: TOPICS[w.topic]?.name ?? '',
    weight: w.weight / total,
  }));
}

function shuffled(random: SeededRandom, count: number): number[] {
  const items = Array.from({ length: count }, (_, i) => i);
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = random.int(0, i);
    [items[i], items[j]] = [items[j] as number, items[i] as number];
  }
  return items;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
