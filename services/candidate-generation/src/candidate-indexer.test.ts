import assert from 'node:assert/strict';
import type { eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { engagement, follow, postCreated } from './test-fixtures/events.js';
import { NOW, TestWorld } from './test-fixtures/world.js';

describe('CandidateIndexer', () => {
  it('keeps post metadata: blog, normalized tags, creation time, reblog root, a 280-char summary', async () => {
    const world = new TestWorld();
    const text = `${'a'.repeat(279)}😀 and more`;
    await world.apply(
      postCreated('p1', 'b1', NOW, {
        tags: ['#Cats', 'cats', ' Dogs ', ''],
        text,
        reblogOf: 'root',
      }),
    );
    const post = (await world.store.posts(['p1'])).get('p1');
    assert.deepEqual(post, {
      postId: 'p1',
      blogId: 'b1',
      tags: ['cats', 'dogs'],
      createdAtMs: NOW,
      reblogOf: 'root',
      popularity: undefined,
      engagements: 0,
    });
    // Cut before the emoji rather than through it.
    assert.equal((await world.store.summaries(['p1'])).get('p1'), 'a'.repeat(279));
  });

  it('ignores events it has no use for', async () => {
    const world = new TestWorld();
    await world.apply(
      { eventId: 'e1', atMs: NOW, payload: { $case: 'sessionStarted', value: { userId: 'u1' } } },
      { eventId: 'e2', atMs: NOW, payload: undefined },
    );
  });

  const malformed: [string, eventsv1.Event, string][] = [
    ['a post without an id', postCreated('', 'b1', NOW), 'post_created.post_id'],
    ['a follow of a bad blog id', follow('u1', 'no spaces', NOW), 'follow.blog_id'],
    ['an engagement without a user', engagement('', 'p1', NOW), 'engagement.user_id'],
    ['a post without a time', postCreated('p1', 'b1', 0), 'at_ms'],
  ];
  for (const [what, event, field] of malformed) {
    it(`throws on ${what}, so the event is retried and then dead-lettered`, async () => {
      const world = new TestWorld();
      const error = await world.apply(event).catch((e: unknown) => e);
      assert.ok(error instanceof InvalidArgumentError, String(error));
      assert.equal(error.field, field);
    });
  }
});
