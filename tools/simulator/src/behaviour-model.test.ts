import assert from 'node:assert/strict';
import { createWorld } from '@feedmesh/world';
import {
  continueChance,
  lapseChance,
  meanReturnGapMs,
  react,
  sessionSatisfaction,
} from './behaviour-model.js';
import type { PostView } from './content-truth.js';
import { SimulatedUser } from './simulated-user.js';

const world = createWorld({ preset: 'small', seed: 3, now: Date.UTC(2026, 0, 1) });
const person = world.truth.users[0]!;
const favourite = person.interests[0]!.topic;
const unloved = world.truth.topics.findIndex((_, t) => world.truth.interest(person.id, t) === 0);

function posts(count: number, topic: number, quality: number, fromNewCreator = false): PostView[] {
  return Array.from({ length: count }, (_, i) => ({
    postId: `p${topic}-${quality}-${i}`,
    blogId: 'b1',
    topics: [topic],
    quality,
    fromNewCreator,
  }));
}

function rates(user: SimulatedUser, views: readonly PostView[]) {
  const reactions = views.map((post) => react(9, user, post));
  const share = (pick: (r: (typeof reactions)[number]) => boolean) =>
    reactions.filter(pick).length / reactions.length;
  return { like: share((r) => r.like), hide: share((r) => r.hide) };
}

describe('the simulated users’ behaviour', () => {
  const user = new SimulatedUser(person, 9, 0, false);

  it('reacts to the same post the same way every time (a hash of seed, user and post)', () => {
    const views = posts(50, favourite, 0.6);
    const first = views.map((post) => react(9, user, post));
    const again = views.map((post) => react(9, new SimulatedUser(person, 9, 0, false), post));
    assert.deepEqual(again, first);
    assert.notDeepEqual(
      views.map((post) => react(10, user, post)),
      first,
    );
  });

  it('likes posts of its main interest far more often than posts outside its interests', () => {
    const liked = rates(user, posts(2_000, favourite, 0.7)).like;
    const other = rates(user, posts(2_000, unloved, 0.7)).like;
    assert.ok(liked > 4 * other, `interest ${liked}, other ${other}`);
  });

  it('hides off-interest posts more than posts it likes, and poor ones most', () => {
    const onTopic = rates(user, posts(2_000, favourite, 0.7)).hide;
    const offTopicGood = rates(user, posts(2_000, unloved, 0.9)).hide;
    const offTopicPoor = rates(user, posts(2_000, unloved, 0.1)).hide;
    assert.ok(onTopic < offTopicGood && offTopicGood < offTopicPoor);
  });

  it('likes good posts more than poor ones on the same topic', () => {
    assert.ok(
      rates(user, posts(2_000, favourite, 0.9)).like >
        rates(user, posts(2_000, favourite, 0.2)).like,
    );
  });

  it('follows a blog only after liking or reblogging its post, and more often for good posts', () => {
    const follows = (quality: number) => {
      const reactions = posts(3_000, favourite, quality).map((post) => react(9, user, post));
      for (const r of reactions) if (r.follow) assert.ok(r.like || r.reblog);
      return reactions.filter((r) => r.follow).length;
    };
    assert.ok(follows(0.9) > follows(0.2));
  });

  it('comes back sooner the more satisfied, and only lapses when dissatisfied', () => {
    assert.ok(meanReturnGapMs(1, 0.9) < meanReturnGapMs(1, 0.5));
    assert.ok(meanReturnGapMs(1, 0.5) < meanReturnGapMs(1, 0.1));
    assert.equal(lapseChance(0.6), 0);
    assert.ok(lapseChance(0.1) > lapseChance(0.25));
  });

  it('rates a session by what it got per impression, and an empty feed as poor', () => {
    assert.ok(sessionSatisfaction(10, 20) > sessionSatisfaction(1, 20));
    assert.ok(sessionSatisfaction(-5, 20) < 0.5);
    assert.ok(sessionSatisfaction(0, 0) < 0.5);
  });

  it('reads on after an engaging page and stops sooner after a page it hid', () => {
    assert.ok(continueChance(0.5, 0) > continueChance(0.1, 0));
    assert.ok(continueChance(0.1, 0.4) < continueChance(0.1, 0));
  });
});
