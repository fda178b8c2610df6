import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import {
  createWorld,
  generateWorld,
  resolveWorldOptions,
  TOPICS,
  topicOfTag,
  WORLD_PRESETS,
} from './index.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const DAY = 24 * 60 * 60 * 1000;

describe('generateWorld', () => {
  const small = generateWorld({ preset: 'small', seed: 7, now: NOW });

  it('gives the same events for the same seed and options', () => {
    const again = generateWorld({ preset: 'small', seed: 7, now: NOW });
    assert.deepEqual(again.events, small.events);
  });

  it('gives different events for a different seed', () => {
    const other = generateWorld({ preset: 'small', seed: 8, now: NOW });
    assert.notDeepEqual(other.events.slice(0, 500), small.events.slice(0, 500));
    assert.notDeepEqual(
      other.truth.users.map((u) => u.interests),
      small.truth.users.map((u) => u.interests),
    );
  });

  it('yields the same events each time a world is iterated', () => {
    const world = createWorld({ preset: 'small', seed: 7, now: NOW });
    const first = Array.from(world.events()).slice(0, 3000);
    const second = Array.from(world.events()).slice(0, 3000);
    assert.deepEqual(second, first);
    assert.deepEqual(first, small.events.slice(0, 3000));
  });

  it('numbers event ids w<seed>-<world>-<n> in time order', () => {
    const world = /^w7-[0-9a-f]{8}-1$/.exec(small.events[0]!.eventId)?.[0].slice(0, -1);
    assert.ok(world, small.events[0]!.eventId);
    small.events.forEach((event, i) => assert.equal(event.eventId, `${world}${i + 1}`));
  });

  it('gives worlds of different sizes with the same seed no event id in common', () => {
    const ids = (options: Parameters<typeof createWorld>[0]) =>
      new Set(
        Array.from(createWorld({ seed: 1, now: NOW, ...options }).events(), (e) => e.eventId),
      );
    const smallIds = ids({ preset: 'small' });
    for (const other of [ids({ preset: 'default' }), ids({ preset: 'small', users: 201 })]) {
      const shared = [...smallIds].filter((id) => other.has(id));
      assert.deepEqual(shared.slice(0, 3), []);
    }
  });

  it('keeps the event ids of the same world generated at another time', () => {
    const later = generateWorld({ preset: 'small', seed: 7, now: NOW + 90 * 60_000 });
    assert.deepEqual(
      later.events.slice(0, 1000).map((e) => e.eventId),
      small.events.slice(0, 1000).map((e) => e.eventId),
    );
  });

  it('honours the sizes: users, blogs and posts exactly, engagements near the target', () => {
    const size = { users: 150, blogs: 40, posts: 1234, engagements: 6000 };
    const { truth, events } = generateWorld({ ...size, seed: 3, now: NOW });
    assert.equal(truth.users.length, size.users);
    assert.equal(truth.blogs.length, size.blogs);
    assert.equal(count(events, 'blogCreated'), size.blogs);
    assert.equal(count(events, 'postCreated'), size.posts);
    const engagements = count(events, 'engagement');
    assert.ok(
      Math.abs(engagements - size.engagements) < size.engagements * 0.2,
      `${engagements} engagements for a target of ${size.engagements}`,
    );
    const userIds = new Set(truth.users.map((u) => u.id));
    for (const event of events) {
      const who = userOf(event);
      if (who !== undefined) assert.ok(userIds.has(who), `${event.eventId} names unknown ${who}`);
    }
  });

  it('uses the preset sizes by default', () => {
    const parameters = resolveWorldOptions({ preset: 'medium' });
    assert.equal(parameters.users, WORLD_PRESETS.medium.users);
    assert.equal(parameters.posts, WORLD_PRESETS.medium.posts);
    assert.equal(resolveWorldOptions({ preset: 'medium', posts: 5 }).posts, 5);
  });

  it('builds a tiny world with one blog and no posts', () => {
    const { events } = generateWorld({ users: 2, blogs: 1, posts: 0, engagements: 50, now: NOW });
    assert.equal(count(events, 'blogCreated'), 1);
    assert.equal(count(events, 'postCreated'), 0);
    assert.equal(count(events, 'engagement'), 0);
  });

  it('floors the default now to the minute, before the present', () => {
    const before = Date.now();
    const now = resolveWorldOptions({}).now;
    assert.equal(now % 60_000, 0);
    assert.ok(now <= before && now > before - 60_000);
  });

  it('names the option that is wrong', () => {
    assert.throws(() => resolveWorldOptions({ users: 0 }), /users: must be an integer/);
    assert.throws(() => resolveWorldOptions({ seed: -1 }), /seed: /);
    assert.throws(() => resolveWorldOptions({ posts: 1.5 }), /posts: /);
    assert.throws(() => resolveWorldOptions({ reblogShare: 2 }), /reblogShare: /);
    assert.throws(
      () => resolveWorldOptions({ preset: 'huge' as 'small' }),
      /preset: expected one of small, default, medium, large/,
    );
  });

  it('refuses to hold a large world in memory and streams it instead', () => {
    assert.throws(() => generateWorld({ preset: 'large', now: NOW }), /stream it/);
    const world = createWorld({ preset: 'large', now: NOW });
    assert.equal(world.truth.users.length, 100_000);
    let taken = 0;
    for (const event of world.events()) {
      assert.ok(event.payload !== undefined);
      taken += 1;
      if (taken === 20_000) break;
    }
    assert.equal(taken, 20_000);
  });
});

describe('a generated world', () => {
  const { truth, events } = generateWorld({ preset: 'small', seed: 11, now: NOW });

  it('has new creators, created in the last days, each with posts', () => {
    assert.ok(truth.newCreatorBlogIds.length >= 3);
    const posts = postsPerBlog(events);
    for (const id of truth.newCreatorBlogIds) {
      const blog = truth.blog(id)!;
      assert.equal(blog.kind, 'new');
      assert.ok(blog.createdAtMs > NOW - 7 * DAY && blog.createdAtMs < NOW, id);
      assert.ok((posts.get(id) ?? 0) >= 1, `${id} never posted`);
    }
  });

  it('has every new creator post within its first hour, as the README says', () => {
    const created = new Map<string, number>();
    const firstPost = new Map<string, number>();
    for (const e of events) {
      if (e.payload?.$case === 'blogCreated') created.set(e.payload.value.blogId, e.atMs);
      if (e.payload?.$case === 'postCreated' && !firstPost.has(e.payload.value.blogId)) {
        firstPost.set(e.payload.value.blogId, e.atMs);
      }
    }
    const late = truth.newCreatorBlogIds
      .map((id) => ({ id, after: firstPost.get(id)! - created.get(id)! }))
      .filter(({ after }) => !(after >= 0 && after <= 60 * 60_000));
    assert.deepEqual(late, []);
  });

  it('has established creators, old, prolific and widely followed', () => {
    const posts = postsPerBlog(events);
    const followers = followersPerBlog(events);
    const regular = truth.blogs.filter((b) => b.kind === 'regular');
    const established = truth.blogs.filter((b) => b.kind === 'established');
    assert.ok(established.length >= 3);
    for (const blog of established) assert.ok(blog.createdAtMs < NOW - 30 * DAY, blog.id);
    const mean = (blogs: typeof regular, of: Map<string, number>) =>
      blogs.reduce((sum, b) => sum + (of.get(b.id) ?? 0), 0) / blogs.length;
    assert.ok(mean(established, posts) > 2 * mean(regular, posts));
    assert.ok(mean(established, followers) > 2 * mean(regular, followers));
  });

  it('has lapsed users: active once, no session in the last 14 days', () => {
    const lastSession = new Map<string, number>();
    for (const e of events) {
      if (e.payload?.$case === 'sessionStarted') lastSession.set(e.payload.value.userId, e.atMs);
    }
    assert.ok(truth.lapsedUserIds.length >= 10);
    const seen = truth.lapsedUserIds.filter((id) => lastSession.has(id));
    assert.ok(seen.length >= truth.lapsedUserIds.length / 2, 'lapsed users had sessions before');
    for (const id of seen) assert.ok(lastSession.get(id)! < NOW - 14 * DAY, id);
    const recent = [...lastSession.values()].filter((at) => at > NOW - 14 * DAY);
    assert.ok(recent.length > truth.users.length / 2, 'most users are still active');
  });

  it('has engagements that follow the users’ hidden interests, and hides that do not', () => {
    const topicOfPost = new Map<string, number>();
    let positive = 0;
    let positiveOnInterest = 0;
    let hides = 0;
    let hidesOffInterest = 0;
    for (const e of events) {
      if (e.payload?.$case === 'postCreated') {
        topicOfPost.set(e.payload.value.postId, topicOfTag(e.payload.value.tags[0]!)!);
      }
      if (e.payload?.$case !== 'engagement') continue;
      const { userId, postId, kind } = e.payload.value;
      const interest = truth.interest(userId, topicOfPost.get(postId)!);
      if (kind === commonv1.EngagementKind.ENGAGEMENT_KIND_HIDE) {
        hides += 1;
        if (interest === 0) hidesOffInterest += 1;
      } else if (kind !== commonv1.EngagementKind.ENGAGEMENT_KIND_CLICK) {
        positive += 1;
        if (interest > 0) positiveOnInterest += 1;
      }
    }
    assert.ok(hides > 50 && positive > 1000);
    assert.equal(positiveOnInterest, positive);
    assert.equal(hidesOffInterest, hides);
  });

  it('has reblogs of earlier original posts from other blogs', () => {
    const blogOfPost = new Map<string, string>();
    const reblogs = new Set<string>();
    for (const e of events) {
      if (e.payload?.$case !== 'postCreated') continue;
      const post = e.payload.value;
      if (post.reblogOf !== '') {
        assert.ok(blogOfPost.has(post.reblogOf), `${post.postId} reblogs an unknown post`);
        assert.ok(!reblogs.has(post.reblogOf), `${post.postId} reblogs a reblog, not the root`);
        assert.notEqual(blogOfPost.get(post.reblogOf), post.blogId);
        reblogs.add(post.postId);
      }
      blogOfPost.set(post.postId, post.blogId);
    }
    assert.ok(reblogs.size > 2000 * 0.05, `${reblogs.size} reblogs`);
  });

  it('spreads activity over the last 30 days before now', () => {
    const inWindow = events.filter(
      (e) => e.payload?.$case !== 'blogCreated' && e.payload?.$case !== 'follow',
    );
    const first = inWindow[0]!.atMs;
    const last = inWindow[inWindow.length - 1]!.atMs;
    assert.ok(first >= NOW - 30 * DAY && first < NOW - 29 * DAY);
    assert.ok(last < NOW && last > NOW - DAY);
  });

  it('exposes the truth by id', () => {
    const user = truth.users[5]!;
    assert.equal(truth.user(user.id), user);
    assert.equal(truth.user('nobody'), undefined);
    assert.equal(truth.interest(user.id, user.interests[0]!.topic), user.interests[0]!.weight);
    const blog = truth.blogs[3]!;
    assert.equal(truth.blog(blog.id), blog);
    assert.ok(truth.user(blog.ownerUserId)!.blogIds.includes(blog.id));
  });
});

describe('the small preset', () => {
  // Fixed seeds: the figures are deterministic, the band is for the draws of each seed.
  const worlds = [7, 11].map((seed) => {
    const world = createWorld({ preset: 'small', seed, now: NOW });
    let posts = 0;
    let reblogs = 0;
    let engagements = 0;
    for (const event of world.events()) {
      if (event.payload?.$case === 'postCreated') {
        posts += 1;
        if (event.payload.value.reblogOf !== '') reblogs += 1;
      } else if (event.payload?.$case === 'engagement') engagements += 1;
    }
    return { seed, parameters: world.truth.parameters, posts, reblogs, engagements };
  });

  it('makes about reblogShare of its posts reblogs, though few blogs share each topic', () => {
    for (const { seed, parameters, posts, reblogs } of worlds) {
      const share = reblogs / posts;
      assert.ok(
        Math.abs(share - parameters.reblogShare) <= 0.02,
        `seed ${seed}: ${reblogs} reblogs of ${posts} posts (${(share * 100).toFixed(1)}%) ` +
          `for a reblogShare of ${parameters.reblogShare}`,
      );
    }
  });

  it('lands within 2% of its engagement target', () => {
    for (const { seed, parameters, engagements } of worlds) {
      assert.ok(
        Math.abs(engagements - parameters.engagements) <= parameters.engagements * 0.02,
        `seed ${seed}: ${engagements} engagements for a target of ${parameters.engagements}`,
      );
    }
  });
});

describe('TOPICS', () => {
  it('has about thirty topics whose tags belong to exactly one topic', () => {
    assert.ok(TOPICS.length >= 28 && TOPICS.length <= 32);
    const tags = TOPICS.flatMap((t) => t.tags);
    assert.equal(new Set(tags).size, tags.length);
    TOPICS.forEach((topic, index) => {
      assert.ok(topic.words.length >= 10, topic.name);
      for (const tag of topic.tags) assert.equal(topicOfTag(tag), index);
    });
  });
});

function count(events: readonly eventsv1.Event[], kind: string): number {
  return events.filter((e) => e.payload?.$case === kind).length;
}

function userOf(event: eventsv1.Event): string | undefined {
  const payload = event.payload;
  if (payload === undefined) return undefined;
  if (payload.$case === 'blogCreated') return payload.value.ownerUserId;
  return 'userId' in payload.value ? payload.value.userId : undefined;
}

function postsPerBlog(events: readonly eventsv1.Event[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.payload?.$case === 'postCreated') {
      counts.set(e.payload.value.blogId, (counts.get(e.payload.value.blogId) ?? 0) + 1);
    }
  }
  return counts;
}

function followersPerBlog(events: readonly eventsv1.Event[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.payload?.$case === 'follow') {
      counts.set(e.payload.value.blogId, (counts.get(e.payload.value.blogId) ?? 0) + 1);
    }
  }
  return counts;
}
