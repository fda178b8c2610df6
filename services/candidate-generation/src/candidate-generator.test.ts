import assert from 'node:assert/strict';
import { candidatesv1, commonv1 } from '@feedmesh/contracts';
import { InternalError, UnavailableError } from '@feedmesh/errors';
import { delay } from 'abort-controller-x';
import type { CandidateSource, ProposedCandidate, SourceName } from './candidate-source.js';
import type { SurfaceBudgets } from './source-budgets.js';
import {
  blogCreated,
  engagement,
  follow,
  postCreated,
  postDeleted,
} from './test-fixtures/events.js';
import { DAY, HOUR, MINUTE, NOW, TestWorld } from './test-fixtures/world.js';

const { Surface } = commonv1;
const Status = candidatesv1.SourceStatus;

function report(response: candidatesv1.GenerateResponse, source: string) {
  const found = response.sources.find((r) => r.source === source);
  assert.ok(found, `no report for ${source}`);
  return found;
}

/** A source standing in for a real one, under the real one's name. */
function replacing(
  name: SourceName,
  candidates: (signal: AbortSignal) => Promise<ProposedCandidate[]>,
): (built: readonly CandidateSource[]) => CandidateSource[] {
  return (built) =>
    built.map((source) =>
      source.name === name
        ? { name, surfaces: source.surfaces, candidates: (_q, _b, signal) => candidates(signal) }
        : source,
    );
}

/** Two popular posts, one followed blog post and a new creator. */
async function smallWorld(world: TestWorld) {
  await world.apply(
    blogCreated('old-blog', NOW - 300 * DAY, 'oldie'),
    blogCreated('new-blog', NOW - DAY, 'newbie'),
    postCreated('followed-post', 'old-blog', NOW - HOUR),
    postCreated('hit', 'old-blog', NOW - 2 * HOUR),
    postCreated('minor-hit', 'old-blog', NOW - 2 * HOUR),
    postCreated('debut', 'new-blog', NOW - HOUR),
    follow('u1', 'old-blog', NOW - 10 * DAY),
    engagement('fan1', 'hit', NOW - HOUR),
    engagement('fan2', 'hit', NOW - HOUR),
    engagement('fan1', 'minor-hit', NOW - HOUR),
  );
}

describe('CandidateGenerator', () => {
  it('gives a cold-start user popular and fresh posts, the personal sources answering empty', async () => {
    const world = new TestWorld();
    await smallWorld(world);
    const response = await world.generate({
      userId: 'never-seen',
      surface: Surface.SURFACE_FOR_YOU,
    });
    const bySource = (name: string) =>
      response.candidates
        .filter((c) => c.sources.some((s) => s.source === name))
        .map((c) => c.postId);
    assert.deepEqual(bySource('popular'), ['hit', 'minor-hit']);
    assert.deepEqual(bySource('fresh'), ['debut']);
    for (const name of ['following', 'tags', 'co-engagement', 'trending', 'popular', 'fresh']) {
      assert.equal(report(response, name).status, Status.SOURCE_STATUS_OK, name);
    }
    assert.equal(report(response, 'following').count, 0);
    assert.equal(report(response, 'popular').count, 2);
  });

  it('keeps every source that proposed a post, best first, and fills the candidate from the post', async () => {
    const world = new TestWorld();
    await smallWorld(world);
    await world.apply(engagement('fan3', 'followed-post', NOW));
    const response = await world.generate({ userId: 'u1', surface: Surface.SURFACE_DASHBOARD });
    const candidate = response.candidates.find((c) => c.postId === 'followed-post');
    assert.ok(candidate);
    // following: 1st of 3 (1/3); popular: 3rd of 3 (3/3): following ranked it higher.
    assert.deepEqual(
      candidate.sources.map((s) => [s.source, s.reason]),
      [
        ['following', 'you follow @oldie'],
        ['popular', 'popular right now'],
      ],
    );
    assert.equal(candidate.blogId, 'old-blog');
    assert.equal(candidate.createdAtMs, NOW - HOUR);
    assert.equal(candidate.summary, 'post followed-post');
    const postIds = response.candidates.map((c) => c.postId);
    assert.equal(new Set(postIds).size, postIds.length, 'no post twice');
  });

  it('drops a source that misses its time budget, reports it TIMED_OUT, and still answers', async () => {
    const world = new TestWorld({
      sources: replacing('following', async (signal) => {
        await delay(signal, 60_000);
        return [];
      }),
    });
    await smallWorld(world);
    const response = await world.generate({
      userId: 'u1',
      surface: Surface.SURFACE_DASHBOARD,
      budgets: new Map([['following', { maxCandidates: 100, timeoutMs: 30 }]]),
    });
    const following = report(response, 'following');
    assert.equal(following.status, Status.SOURCE_STATUS_TIMED_OUT);
    assert.equal(following.count, 0);
    assert.match(following.error, /30 ms/);
    assert.ok(following.elapsedMs > 0);
    assert.equal(report(response, 'popular').status, Status.SOURCE_STATUS_OK);
    assert.ok(response.candidates.some((c) => c.postId === 'hit'));
  });

  it('cuts off a source that ignores its signal at its budget', async () => {
    const world = new TestWorld({ sources: replacing('popular', () => new Promise(() => {})) });
    await smallWorld(world);
    const response = await world.generate({
      userId: 'u1',
      surface: Surface.SURFACE_EXPLORE,
      budgets: new Map([['popular', { maxCandidates: 10, timeoutMs: 20 }]]),
    });
    assert.equal(report(response, 'popular').status, Status.SOURCE_STATUS_TIMED_OUT);
    assert.equal(report(response, 'fresh').status, Status.SOURCE_STATUS_OK);
  });

  it('drops a failing source and reports FAILED with a message that leaks no internals', async () => {
    const world = new TestWorld({
      sources: (built) =>
        replacing('popular', async () => {
          throw new Error('secret stack detail');
        })(
          replacing('fresh', async () => {
            throw new UnavailableError('redis', 'connection refused');
          })(built),
        ),
    });
    await smallWorld(world);
    const response = await world.generate({ userId: 'u1', surface: Surface.SURFACE_DASHBOARD });
    assert.deepEqual(report(response, 'popular'), {
      ...report(response, 'popular'),
      status: Status.SOURCE_STATUS_FAILED,
      error: 'internal error',
    });
    assert.equal(report(response, 'fresh').error, 'redis: connection refused');
    assert.ok(response.candidates.some((c) => c.postId === 'followed-post'));
  });

  it('fails with UNAVAILABLE when every source that ran failed', async () => {
    const failing = (built: readonly CandidateSource[]) =>
      built.map((source): CandidateSource => ({
        name: source.name,
        surfaces: source.surfaces,
        candidates: async () => {
          throw new InternalError('down');
        },
      }));
    const world = new TestWorld({ sources: failing });
    const error = await world
      .generate({ userId: 'u1', surface: Surface.SURFACE_EXPLORE })
      .catch((e: unknown) => e);
    assert.ok(error instanceof UnavailableError, String(error));
    assert.match(error.message, /trending: internal error/);
  });

  it('answers empty, not UNAVAILABLE, when every source was turned off', async () => {
    const world = new TestWorld();
    const off = { maxCandidates: 0, timeoutMs: 0 };
    const response = await world.generate({
      userId: 'u1',
      surface: Surface.SURFACE_EXPLORE,
      budgets: new Map([
        ['trending', off],
        ['popular', off],
        ['fresh', off],
      ]),
    });
    assert.deepEqual(response.candidates, []);
    assert.ok(response.sources.every((r) => r.status === Status.SOURCE_STATUS_SKIPPED));
    assert.equal(report(response, 'popular').error, 'disabled by the request budget');
    assert.equal(report(response, 'following').error, 'not applicable to SURFACE_EXPLORE');
  });

  it('lets the request’s budgets override the surface defaults', async () => {
    const defaults: Record<number, SurfaceBudgets> = {
      [Surface.SURFACE_EXPLORE]: { popular: { maxCandidates: 1 }, fresh: { maxCandidates: 5 } },
    };
    const world = new TestWorld({ defaultBudgets: defaults });
    await smallWorld(world);
    const byDefault = await world.generate({ userId: 'u1', surface: Surface.SURFACE_EXPLORE });
    assert.equal(report(byDefault, 'popular').count, 1);
    assert.equal(report(byDefault, 'fresh').count, 1);
    assert.equal(report(byDefault, 'trending').status, Status.SOURCE_STATUS_SKIPPED);

    const overridden = await world.generate({
      userId: 'u1',
      surface: Surface.SURFACE_EXPLORE,
      budgets: new Map([
        ['popular', { maxCandidates: 3, timeoutMs: 0 }],
        ['fresh', { maxCandidates: 0, timeoutMs: 0 }],
        ['trending', { maxCandidates: 10, timeoutMs: 0 }],
        ['embeddings', { maxCandidates: 10, timeoutMs: 0 }],
      ]),
    });
    assert.equal(report(overridden, 'popular').count, 2, 'all the popular posts there are');
    assert.equal(report(overridden, 'fresh').status, Status.SOURCE_STATUS_SKIPPED);
    assert.equal(report(overridden, 'trending').status, Status.SOURCE_STATUS_OK);
    assert.equal(report(overridden, 'embeddings').status, Status.SOURCE_STATUS_SKIPPED);
    assert.deepEqual(
      overridden.candidates.map((c) => c.postId),
      ['hit', 'minor-hit'],
    );
  });

  it('cuts to max_candidates, keeping each source’s best in proportion', async () => {
    const world = new TestWorld();
    for (let i = 0; i < 10; i++) {
      await world.apply(
        postCreated(`pop${i}`, 'b1', NOW - DAY),
        postCreated(`new${i}`, 'b2', NOW - HOUR - i * MINUTE),
      );
      for (let j = 0; j <= 10 - i; j++)
        await world.apply(engagement(`f${j}`, `pop${i}`, NOW - HOUR));
    }
    await world.apply(blogCreated('b2', NOW - DAY));
    const response = await world.generate({
      userId: 'u1',
      surface: Surface.SURFACE_EXPLORE,
      maxCandidates: 4,
      budgets: new Map([['trending', { maxCandidates: 0, timeoutMs: 0 }]]),
    });
    assert.deepEqual(
      response.candidates.map((c) => c.postId),
      ['pop0', 'new0', 'pop1', 'new1'],
    );
    assert.equal(report(response, 'popular').count, 4, 'counts are before the cut');
  });

  it('never returns a deleted or excluded post from any source', async () => {
    const world = new TestWorld();
    await smallWorld(world);
    await world.apply(
      postDeleted('hit', NOW),
      postDeleted('debut', NOW),
      postCreated('hit', 'old-blog', NOW),
    );
    const everything = new Map(
      ['following', 'tags', 'co-engagement', 'trending', 'popular', 'fresh'].map((name) => [
        name,
        { maxCandidates: 100, timeoutMs: 0 },
      ]),
    );
    const response = await world.generate({
      userId: 'u1',
      surface: Surface.SURFACE_DASHBOARD,
      budgets: everything,
      exclude: new Set(['followed-post']),
    });
    assert.deepEqual(
      response.candidates.map((c) => c.postId),
      ['minor-hit'],
    );
  });
});
