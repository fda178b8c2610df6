import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@feedmesh/errors';
import { createWorld, topicOfTag } from '@feedmesh/world';
import { react } from './behaviour-model.js';
import { ContentSupply } from './content-supply.js';
import { ContentTruth } from './content-truth.js';
import { RunIds } from './event-ids.js';
import { SimulatedClock } from './simulated-clock.js';
import { SimulatedUser } from './simulated-user.js';
import { DAY_MS, resolveSimulationOptions } from './simulation-options.js';

const NOW = Date.UTC(2026, 0, 1);
const world = createWorld({ preset: 'small', seed: 4, now: NOW });

function supplyOf(seed: number) {
  const truth = ContentTruth.forWorld(seed, world.truth);
  const supply = new ContentSupply(seed, world.truth, truth, new RunIds('t'), {
    postsPerDay: 100,
    newCreatorsPerDay: 4,
  });
  return { truth, supply };
}

describe('the simulated clock', () => {
  it('runs at wall speed from where it starts and jumps only forwards', () => {
    let wall = 1_000;
    const clock = new SimulatedClock(NOW, () => wall);
    wall += 250;
    assert.equal(clock.now(), NOW + 250);
    clock.advanceTo(NOW + DAY_MS);
    assert.equal(clock.now(), NOW + DAY_MS);
    clock.advanceTo(NOW);
    assert.equal(clock.now(), NOW + DAY_MS);
  });
});

describe('the content supply', () => {
  it('writes the same posts and creators for the same seed', () => {
    const a = supplyOf(1).supply.step(NOW, DAY_MS, NOW);
    const b = supplyOf(1).supply.step(NOW, DAY_MS, NOW);
    assert.deepEqual(b, a);
    assert.notDeepEqual(supplyOf(2).supply.step(NOW, DAY_MS, NOW), a);
  });

  it('gives every new creator a first post about its topic, and marks it new in the truth table', () => {
    const { truth, supply } = supplyOf(1);
    const events = supply.step(NOW, 3 * DAY_MS, NOW);
    const blogs = events.flatMap((e) =>
      e.payload?.$case === 'blogCreated' ? [e.payload.value] : [],
    );
    assert.ok(blogs.length > 0);
    for (const blog of blogs) {
      const first = events.find(
        (e) => e.payload?.$case === 'postCreated' && e.payload.value.blogId === blog.blogId,
      );
      assert.ok(first, `${blog.blogId} has no post`);
      const creator = truth.creator(blog.blogId)!;
      const view = truth.view({ postId: 'x', blogId: blog.blogId, tags: [] }, NOW + DAY_MS);
      assert.equal(view.fromNewCreator, true);
      if (first.payload?.$case === 'postCreated') {
        assert.equal(topicOfTag(first.payload.value.tags[0]!), creator.topics[0]!.topic);
      }
    }
    const established = world.truth.establishedBlogIds[0]!;
    assert.equal(
      truth.view({ postId: 'y', blogId: established, tags: [] }, NOW).fromNewCreator,
      false,
    );
  });

  it('keeps a post’s hidden quality the same across runs with one seed', () => {
    const item = { postId: 'p42', blogId: world.truth.blogs[3]!.id, tags: [] };
    const one = ContentTruth.forWorld(8, world.truth).view(item, NOW).quality;
    assert.equal(ContentTruth.forWorld(8, world.truth).view(item, NOW).quality, one);
    assert.ok(one >= 0 && one <= 1);
  });
});

describe('common random numbers across runs', () => {
  /** One day of a run's new posts, as a user sees them: its ids carry the run's tag. */
  function runOf(runTag: string) {
    const truth = ContentTruth.forWorld(5, world.truth);
    const supply = new ContentSupply(5, world.truth, truth, new RunIds(runTag), {
      postsPerDay: 200,
      newCreatorsPerDay: 4,
    });
    return supply
      .step(NOW, DAY_MS, NOW)
      .flatMap((e) => (e.payload?.$case === 'postCreated' ? [e.payload.value] : []))
      .map((post) => truth.view(post, NOW + 60_000));
  }

  it('gives the same new post of two runs with one seed the same quality and the same reactions', () => {
    const a = runOf('s5tmx1');
    const b = runOf('s5tmx2');
    assert.equal(a.length, b.length);
    assert.ok(a.length > 100);
    assert.notEqual(a[0]!.postId, b[0]!.postId, 'each run names its posts apart');
    assert.deepEqual(
      b.map((post) => post.quality),
      a.map((post) => post.quality),
    );
    for (const person of world.truth.users.slice(0, 20)) {
      const reader = new SimulatedUser(person, 5, NOW, false);
      assert.deepEqual(
        b.map((post) => react(5, reader, post)),
        a.map((post) => react(5, reader, post)),
        person.id,
      );
    }
  });
});

describe('the simulation options', () => {
  const base = { gatewayAddress: '127.0.0.1:1', world: world.truth };
  const clock = new SimulatedClock(NOW, () => 0);

  it('fills in defaults', () => {
    const parameters = resolveSimulationOptions(base, clock);
    assert.equal(parameters.users, world.truth.users.length);
    assert.equal(parameters.days, 7);
    assert.equal(parameters.startMs, NOW);
  });

  for (const [name, options] of [
    ['users', { users: 0 }],
    ['days', { days: 0 }],
    ['seed', { seed: -1 }],
    ['pageSize', { pageSize: 101 }],
    ['runTag', { runTag: 'has space' }],
  ] as const) {
    it(`rejects a bad ${name}, naming it`, () => {
      assert.throws(
        () => resolveSimulationOptions({ ...base, ...options }, clock),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === name,
      );
    });
  }
});
