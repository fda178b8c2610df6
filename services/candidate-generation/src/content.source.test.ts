import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { blogCreated, engagement, postCreated, postDeleted } from './test-fixtures/events.js';
import { DAY, HOUR, ids, NOW, TestWorld } from './test-fixtures/world.js';

const { EngagementKind, Surface } = commonv1;

const VINYL = [
  'Spinning a first pressing of the album on vinyl tonight, the turntable hums warmly.',
  'Vinyl records sound warmer: a turntable, a good stylus and the album on a Sunday.',
  'Cleaned my vinyl collection today; every record back in its sleeve, turntable dusted.',
];

/** u1 likes three posts about vinyl records; the site has a few other posts. */
async function vinylLover(world: TestWorld) {
  const events: eventsv1.Event[] = [
    postCreated('bread', 'baker', NOW - 3 * DAY, {
      text: 'Sourdough bread needs a lively starter, flour, water and patience.',
    }),
    postCreated('hiking', 'walker', NOW - 3 * DAY, {
      text: 'A long hike up the ridge trail, boots muddy and the summit in fog.',
    }),
  ];
  VINYL.forEach((text, i) => {
    events.push(postCreated(`vinyl-${i}`, 'collector', NOW - 3 * DAY, { text, tags: ['music'] }));
    events.push(engagement('u1', `vinyl-${i}`, NOW - 2 * DAY));
  });
  await world.apply(...events);
}

describe('ContentCandidateSource', () => {
  it('proposes a new untagged post whose text matches the user’s interests, saying why', async () => {
    const world = new TestWorld();
    await vinylLover(world);
    await world.apply(
      blogCreated('newcomer', NOW - HOUR),
      postCreated('new-vinyl', 'newcomer', NOW - HOUR, {
        text: 'Found a rare vinyl pressing at the flea market; it plays beautifully.',
      }),
    );
    const proposed = await world.propose('content', { userId: 'u1' });
    assert.deepEqual(ids(proposed), ['new-vinyl']);
    assert.equal(proposed[0]!.reason, 'about vinyl, which you like');
    assert.ok(proposed[0]!.score > 0 && proposed[0]!.score <= 1, String(proposed[0]!.score));
  });

  it('does not propose a new post about something else', async () => {
    const world = new TestWorld();
    await vinylLover(world);
    await world.apply(
      postCreated('new-bread', 'newcomer', NOW - HOUR, {
        text: 'My rye bread came out dense; more water in the dough next time.',
      }),
    );
    const proposed = await world.propose('content', { userId: 'u1' });
    assert.ok(!ids(proposed).includes('new-bread'), JSON.stringify(ids(proposed)));
    assert.ok(!ids(proposed).includes('bread'));
  });

  it('never proposes what the user engaged with, excluded or hid, nor a blocked blog’s post', async () => {
    const world = new TestWorld();
    await vinylLover(world);
    await world.apply(
      postCreated('blocked-vinyl', 'pest', NOW - HOUR, { text: 'Vinyl turntable sale!' }),
      {
        eventId: 'block-pest',
        atMs: NOW - 20 * 60_000,
        payload: { $case: 'block', value: { userId: 'u1', blogId: 'pest' } },
      },
      postCreated('hidden-vinyl', 'newcomer', NOW - HOUR, { text: 'Vinyl turntable deals.' }),
      postCreated('excluded-vinyl', 'newcomer', NOW - HOUR, { text: 'Vinyl turntable repair.' }),
      engagement('u1', 'hidden-vinyl', NOW - 10 * 60_000, EngagementKind.ENGAGEMENT_KIND_HIDE),
    );
    const generated = await world.generate({
      userId: 'u1',
      exclude: new Set(['excluded-vinyl']),
      budgets: new Map([['content', { maxCandidates: 100, timeoutMs: 0 }]]),
    });
    const proposed = generated.candidates
      .filter((c) => c.sources.some((s) => s.source === 'content'))
      .map((c) => c.postId);
    assert.deepEqual(proposed, []);
  });

  it('forgets a deleted post', async () => {
    const world = new TestWorld();
    await vinylLover(world);
    await world.apply(
      postCreated('new-vinyl', 'newcomer', NOW - HOUR, { text: 'A vinyl record fair this week.' }),
      postDeleted('new-vinyl', NOW - 30 * 60_000),
    );
    assert.deepEqual(ids(await world.propose('content', { userId: 'u1' })), []);
    assert.deepEqual(world.pipeline.content.termsOf('new-vinyl'), []);
  });

  it('ranks the closer match first', async () => {
    const world = new TestWorld();
    await vinylLover(world);
    await world.apply(
      postCreated('close', 'newcomer', NOW - HOUR, {
        text: 'Vinyl album on the turntable: this pressing sounds warmer than the record I had.',
      }),
      postCreated('loose', 'newcomer', NOW - HOUR, {
        text: 'Watched a documentary about an old factory; one scene shows an album cover.',
      }),
    );
    assert.deepEqual(ids(await world.propose('content', { userId: 'u1' }))[0], 'close');
  });

  it('proposes nothing to a user with no engagement yet', async () => {
    const world = new TestWorld();
    await vinylLover(world);
    assert.deepEqual(await world.propose('content', { userId: 'stranger' }), []);
  });

  it('runs on the for-you surface by default and reports itself', async () => {
    const world = new TestWorld();
    await vinylLover(world);
    await world.apply(
      postCreated('new-vinyl', 'newcomer', NOW - HOUR, { text: 'Vinyl turntable stylus tips.' }),
    );
    const response = await world.generate({ userId: 'u1', surface: Surface.SURFACE_FOR_YOU });
    const candidate = response.candidates.find((c) => c.postId === 'new-vinyl');
    const content = candidate?.sources.find((s) => s.source === 'content');
    assert.ok(content, JSON.stringify(response.candidates.map((c) => c.postId)));
    assert.match(content.reason, /^about (vinyl|turntabl\w*|stylus), which you like$/);
    assert.equal(response.sources.find((s) => s.source === 'content')?.count, 1);
  });
});
