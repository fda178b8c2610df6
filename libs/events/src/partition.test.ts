import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { partitionKey, partitionOf } from './partition.js';

function event(payload: eventsv1.Event['payload']): eventsv1.Event {
  return { eventId: 'x', atMs: 0, payload };
}

const LIKE = commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE;

describe('partitionKey', function () {
  it('keys post events by post, so a post is created before it is deleted', function () {
    const created = event({
      $case: 'postCreated',
      value: { postId: 'p1', blogId: 'b1', text: '', tags: [], mediaKind: 0, reblogOf: '' },
    });
    const deleted = event({ $case: 'postDeleted', value: { postId: 'p1' } });
    assert.equal(partitionKey(created), 'post:p1');
    assert.equal(partitionKey(deleted), 'post:p1');
  });

  it("keys a user's actions by the user, whatever they act on", function () {
    const liked = event({ $case: 'engagement', value: { userId: 'u1', postId: 'p9', kind: LIKE } });
    const followed = event({ $case: 'follow', value: { userId: 'u1', blogId: 'b9' } });
    const unfollowed = event({ $case: 'unfollow', value: { userId: 'u1', blogId: 'b9' } });
    for (const action of [liked, followed, unfollowed])
      assert.equal(partitionKey(action), 'user:u1');
  });
});

describe('partitionOf', function () {
  // Pinned: a different hash would move every entity to another partition in production.
  it('hashes the key with 32-bit FNV-1a', function () {
    const liked = event({ $case: 'engagement', value: { userId: 'u1', postId: 'p1', kind: LIKE } });
    const blog = event({
      $case: 'blogCreated',
      value: { blogId: 'b1', ownerUserId: 'u1', name: 'b1', title: '' },
    });
    assert.equal(partitionOf(liked, 8), 2);
    assert.equal(partitionOf(liked, 1024), 146);
    assert.equal(partitionOf(blog, 1024), 936);
  });
});
