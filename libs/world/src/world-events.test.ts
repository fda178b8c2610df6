import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { createWorld, type WorldOptions } from './index.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
/** proto/feedmesh/common/v1/common.proto: every id. */
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Checks a whole stream the way the gateway and the consumers will see it: valid fields, time
 * order, and nothing referring to a user, blog or post before it exists. Returns what it saw.
 */
function checkStream(events: Iterable<eventsv1.Event>, now: number) {
  const eventIds = new Set<string>();
  const blogs = new Map<string, number>();
  const blogNames = new Set<string>();
  const posts = new Map<string, { blogId: string; root: boolean }>();
  const deleted = new Set<string>();
  let last = -Infinity;
  let total = 0;
  const fail = (event: eventsv1.Event, problem: string) =>
    assert.fail(`${event.eventId} (${event.payload?.$case}): ${problem}`);
  const id = (event: eventsv1.Event, value: string, field: string) => {
    if (!ID.test(value)) fail(event, `${field} ${JSON.stringify(value)} is not a valid id`);
  };
  const existingPost = (event: eventsv1.Event, postId: string) => {
    id(event, postId, 'post_id');
    if (!posts.has(postId)) fail(event, `refers to ${postId} before it exists`);
    if (deleted.has(postId)) fail(event, `refers to ${postId} after its deletion`);
  };
  const existingBlog = (event: eventsv1.Event, blogId: string) => {
    id(event, blogId, 'blog_id');
    const created = blogs.get(blogId);
    if (created === undefined) fail(event, `refers to ${blogId} before it exists`);
    else if (created > event.atMs) fail(event, `is earlier than ${blogId}'s creation`);
  };

  for (const event of events) {
    total += 1;
    id(event, event.eventId, 'event_id');
    if (eventIds.has(event.eventId)) fail(event, 'repeats an event id');
    eventIds.add(event.eventId);
    if (!Number.isSafeInteger(event.atMs) || event.atMs <= 0) fail(event, 'at_ms is not a time');
    if (event.atMs < last) fail(event, `is out of time order (${event.atMs} < ${last})`);
    if (event.atMs > now) fail(event, 'is after now');
    last = event.atMs;
    const payload = event.payload;
    switch (payload?.$case) {
      case 'blogCreated': {
        const blog = payload.value;
        id(event, blog.blogId, 'blog_id');
        id(event, blog.ownerUserId, 'owner_user_id');
        if (blogs.has(blog.blogId)) fail(event, 'creates a blog twice');
        if (blog.name.length < 1 || blog.name.length > 64) fail(event, 'name is not 1-64 chars');
        if (blogNames.has(blog.name)) fail(event, `name ${blog.name} is taken`);
        if (blog.title.length > 256) fail(event, 'title is over 256 chars');
        blogNames.add(blog.name);
        blogs.set(blog.blogId, event.atMs);
        break;
      }
      case 'postCreated': {
        const post = payload.value;
        id(event, post.postId, 'post_id');
        if (posts.has(post.postId)) fail(event, 'creates a post twice');
        existingBlog(event, post.blogId);
        if (post.text.length === 0 || post.text.length > 16_384) fail(event, 'text length');
        if (post.tags.length > 30) fail(event, 'more than 30 tags');
        for (const tag of post.tags) {
          if (tag.length < 1 || tag.length > 64 || tag.startsWith('#')) fail(event, `tag ${tag}`);
        }
        if (post.mediaKind === commonv1.MediaKind.MEDIA_KIND_UNSPECIFIED) fail(event, 'no media');
        if (post.reblogOf !== '') {
          existingPost(event, post.reblogOf);
          if (!posts.get(post.reblogOf)!.root) fail(event, 'reblog_of is not a root post');
        }
        posts.set(post.postId, { blogId: post.blogId, root: post.reblogOf === '' });
        break;
      }
      case 'postDeleted':
        existingPost(event, payload.value.postId);
        deleted.add(payload.value.postId);
        break;
      case 'engagement':
        id(event, payload.value.userId, 'user_id');
        existingPost(event, payload.value.postId);
        if (payload.value.kind === commonv1.EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED) {
          fail(event, 'kind is unspecified');
        }
        break;
      case 'follow':
        id(event, payload.value.userId, 'user_id');
        existingBlog(event, payload.value.blogId);
        break;
      case 'sessionStarted':
        id(event, payload.value.userId, 'user_id');
        break;
      default:
        fail(event, 'has a payload the world never generates');
    }
  }
  return { total, blogs: blogs.size, posts: posts.size, deleted: deleted.size };
}

describe('world events', () => {
  const cases: [string, WorldOptions][] = [
    ['the small preset', { preset: 'small', seed: 1, now: NOW }],
    ['the default preset', { preset: 'default', seed: 42, now: NOW }],
    ['a world with more blogs than users', { users: 20, blogs: 50, posts: 500, now: NOW }],
    ['a world with a single user and blog', { users: 1, blogs: 1, posts: 40, now: NOW }],
    [
      'a short world without lapsed users',
      { preset: 'small', days: 3, newCreatorDays: 1, lapsedShare: 0, now: NOW },
    ],
    // Enough reblogs and deletions that a deleted original is still reblogged through a
    // live reblog of it (the medium preset, seed 1, did so).
    [
      'a world of many reblogs and some deleted originals',
      { preset: 'small', posts: 20_000, reblogShare: 0.5, seed: 3, now: NOW },
    ],
  ];
  for (const [name, options] of cases) {
    it(`are valid, in time order and refer only to what exists, for ${name}`, () => {
      const world = createWorld(options);
      const seen = checkStream(world.events(), NOW);
      assert.equal(seen.blogs, world.truth.parameters.blogs);
      assert.equal(seen.posts, world.truth.parameters.posts);
    });
  }

  it('include some deleted posts in a world of thousands', () => {
    const seen = checkStream(createWorld({ preset: 'default', seed: 42, now: NOW }).events(), NOW);
    assert.ok(seen.deleted > 0);
  });
});
