import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { InMemoryEventLog } from '@feedmesh/events';
import { isMissing, seededRandom } from '@feedmesh/models';
import { examplesFromEngagements } from './engagement-examples.js';
import { hydrateExamples } from './example-features.js';
import type { FeatureSource } from './feature-source.js';
import { splitByTime } from './holdout.js';
import { examplesFromImpressions } from './impression-examples.js';
import { readSiteHistory, type SiteHistory } from './site-history.js';
import { NO_LABELS, type TrainingExample } from './training-example.js';

const { EngagementKind } = commonv1;
const HOUR = 3_600_000;

class Events {
  readonly list: eventsv1.Event[] = [];
  private next = 0;
  private add(atMs: number, payload: eventsv1.Event['payload'], id?: string) {
    this.list.push({ eventId: id ?? `e${this.next++}`, atMs, payload });
    return this;
  }
  blog(blogId: string, owner: string, at = 0) {
    return this.add(at, {
      $case: 'blogCreated',
      value: { blogId, ownerUserId: owner, name: blogId, title: '' },
    });
  }
  post(postId: string, blogId: string, at: number) {
    return this.add(at, {
      $case: 'postCreated',
      value: { postId, blogId, text: '', tags: [], mediaKind: 0, reblogOf: '' },
    });
  }
  engage(userId: string, postId: string, kind: commonv1.EngagementKind, at: number, id?: string) {
    return this.add(at, { $case: 'engagement', value: { userId, postId, kind } }, id);
  }
  deletePost(postId: string, at: number, id?: string) {
    return this.add(at, { $case: 'postDeleted', value: { postId } }, id);
  }
  session(userId: string, at: number) {
    return this.add(at, { $case: 'sessionStarted', value: { userId } });
  }
  follow(userId: string, blogId: string, at: number) {
    return this.add(at, { $case: 'follow', value: { userId, blogId } });
  }
  impression(userId: string, postId: string, at: number, requestId = 'r1') {
    return this.add(at, {
      $case: 'impression',
      value: {
        userId,
        postId,
        requestId,
        position: 0,
        surface: 1,
        experiments: [],
        source: 's',
        model: '',
        score: 0,
        featureSchema: '',
        featureValues: [],
        featureMissing: Buffer.alloc(0),
      },
    });
  }
  async history(): Promise<SiteHistory> {
    const log = new InMemoryEventLog({ partitions: 3 });
    await log.append(this.list);
    const history = await readSiteHistory(log);
    await log.close();
    return history;
  }
}

describe('examples from impressions (log and wait)', () => {
  it('labels what the user did within the attribution window after each impression', async () => {
    const history = await new Events()
      .post('p1', 'b1', 0)
      .post('p2', 'b2', 0)
      .post('p3', 'b3', 0)
      .impression('u', 'p1', 10 * HOUR)
      .engage('u', 'p1', EngagementKind.ENGAGEMENT_KIND_LIKE, 11 * HOUR)
      .follow('u', 'b1', 12 * HOUR)
      .impression('u', 'p2', 10 * HOUR)
      // Too late: outside the 6-hour window.
      .engage('u', 'p2', EngagementKind.ENGAGEMENT_KIND_LIKE, 17 * HOUR)
      // Before the impression: not caused by it.
      .engage('u', 'p3', EngagementKind.ENGAGEMENT_KIND_REBLOG, 9 * HOUR)
      .impression('u', 'p3', 10 * HOUR)
      .engage('u', 'p3', EngagementKind.ENGAGEMENT_KIND_HIDE, 10 * HOUR + 1)
      .impression('u', 'p3', 10 * HOUR)
      // Still inside its window when the log ends.
      .impression('u', 'p1', 30 * HOUR, 'r2')
      .engage('v', 'p1', EngagementKind.ENGAGEMENT_KIND_CLICK, 32 * HOUR)
      .history();
    const { examples, immature } = examplesFromImpressions(history, 6 * HOUR);
    assert.equal(immature, 1);
    const byPost = new Map(examples.map((e) => [e.postId, e]));
    assert.equal(examples.length, 3, 'the repeated p3 impression of one request counts once');
    assert.deepEqual(byPost.get('p1')?.labels, {
      like: 1,
      reblog: 0,
      reply: 0,
      follow: 1,
      hide: 0,
    });
    assert.deepEqual(byPost.get('p2')?.labels, NO_LABELS);
    assert.deepEqual(byPost.get('p3')?.labels, {
      like: 0,
      reblog: 0,
      reply: 0,
      follow: 0,
      hide: 1,
    });
  });

  it('credits an engagement to the latest impression of the post before it (last touch), not to every impression whose window holds it', async () => {
    const MINUTE = 60_000;
    const history = await new Events()
      .post('p', 'b1', 0)
      .post('q', 'b2', 0)
      // p on the dashboard (r1), then in search (r2), then liked: r2 led to the like.
      .impression('u', 'p', 0, 'r1')
      .impression('u', 'p', 10 * MINUTE, 'r2')
      .engage('u', 'p', EngagementKind.ENGAGEMENT_KIND_LIKE, 12 * MINUTE)
      .follow('u', 'b1', 12 * MINUTE)
      // q hidden after r1 and before r2, liked after r2: each impression gets its own.
      .impression('u', 'q', 0, 'r1')
      .engage('u', 'q', EngagementKind.ENGAGEMENT_KIND_HIDE, 5 * MINUTE)
      .impression('u', 'q', 10 * MINUTE, 'r2')
      .engage('u', 'q', EngagementKind.ENGAGEMENT_KIND_LIKE, 12 * MINUTE)
      // Logged twice by one request: one impression, whose window the repeat does not cut.
      .impression('w', 'p', 0, 'r3')
      .impression('w', 'p', 5 * MINUTE, 'r3')
      .engage('w', 'p', EngagementKind.ENGAGEMENT_KIND_LIKE, 7 * MINUTE)
      .session('v', 10 * HOUR)
      .history();
    const { examples, immature } = examplesFromImpressions(history, 6 * HOUR);
    assert.equal(immature, 0);
    const labels = new Map(
      examples.map((e) => [`${e.userId}:${e.postId}@${e.atMs / MINUTE}`, e.labels]),
    );
    assert.deepEqual([...labels.keys()].sort(), ['u:p@0', 'u:p@10', 'u:q@0', 'u:q@10', 'w:p@0']);
    assert.deepEqual(labels.get('u:p@10'), { ...NO_LABELS, like: 1, follow: 1 });
    assert.deepEqual(labels.get('u:p@0'), NO_LABELS, 'the earlier impression is a negative');
    assert.deepEqual(labels.get('u:q@0'), { ...NO_LABELS, hide: 1 });
    assert.deepEqual(labels.get('u:q@10'), { ...NO_LABELS, like: 1 });
    assert.deepEqual(labels.get('w:p@0'), { ...NO_LABELS, like: 1 });
  });

  it('credits an engagement stamped up to the clock skew before its impression (a slow client clock) to that impression', async () => {
    const SECOND = 1_000;
    const MINUTE = 60_000;
    const history = await new Events()
      .post('p', 'b1', 0)
      .post('q', 'b2', 0)
      .post('r', 'b3', 0)
      // The client's clock is 2 s slow: its like and follow are stamped before the impression.
      .engage('u', 'p', EngagementKind.ENGAGEMENT_KIND_LIKE, HOUR - 2 * SECOND)
      .follow('u', 'b1', HOUR - SECOND)
      .impression('u', 'p', HOUR, 'r1')
      // Last touch still decides: stamped just before q's second showing, it belongs to the first.
      .impression('u', 'q', 0, 'r0')
      .engage('u', 'q', EngagementKind.ENGAGEMENT_KIND_LIKE, HOUR - SECOND)
      .impression('u', 'q', HOUR, 'r1')
      // Further back than any clock skew the gateway accepts: not caused by the impression.
      .engage('u', 'r', EngagementKind.ENGAGEMENT_KIND_LIKE, HOUR - 6 * MINUTE)
      .impression('u', 'r', HOUR, 'r1')
      .session('v', 10 * HOUR)
      .history();
    const { examples } = examplesFromImpressions(history, 6 * HOUR);
    const labels = new Map(examples.map((e) => [`${e.postId}@${e.atMs / HOUR}`, e.labels]));
    assert.deepEqual(labels.get('p@1'), { ...NO_LABELS, like: 1, follow: 1 });
    assert.deepEqual(labels.get('q@0'), { ...NO_LABELS, like: 1 });
    assert.deepEqual(labels.get('q@1'), NO_LABELS);
    assert.deepEqual(labels.get('r@1'), NO_LABELS);
  });

  it('keeps the impression as the example time, and reads point-in-time features from before an engagement stamped ahead of it', async () => {
    const history = await new Events()
      .post('p', 'b1', 0)
      .post('q', 'b2', 0)
      .engage('u', 'p', EngagementKind.ENGAGEMENT_KIND_LIKE, HOUR - 2_000)
      .impression('u', 'p', HOUR)
      .impression('u', 'q', HOUR)
      .session('v', 10 * HOUR)
      .history();
    const { examples } = examplesFromImpressions(history, 6 * HOUR);
    assert.deepEqual(
      examples.map((e) => [e.postId, e.atMs]),
      [
        ['p', HOUR],
        ['q', HOUR],
      ],
    );
    const asked: { postIds: readonly string[]; atMs: number }[] = [];
    const row = (postIds: readonly string[]) => ({
      user: { names: ['user.x'], values: [0], missing: Uint8Array.of(0) },
      candidates: { names: ['post.a'], rows: postIds.length, values: postIds.map(() => 0) },
    });
    const source: FeatureSource = {
      maxPostsPerCall: 10,
      async getFeatures(_userId, postIds) {
        return row(postIds);
      },
      async getFeaturesAsOf(requests) {
        asked.push(...requests.map(({ postIds, atMs }) => ({ postIds, atMs })));
        return requests.map(({ postIds }) => row(postIds));
      },
    };
    await hydrateExamples(examples, source);
    // As of the impression, the replay would already count the like it is labelled with.
    assert.deepEqual(
      asked.sort((a, b) => a.atMs - b.atMs),
      [
        { postIds: ['p'], atMs: HOUR - 2_000 },
        { postIds: ['q'], atMs: HOUR },
      ],
    );
  });

  it("credits a follow to the latest impression of any of the blog's posts before it (last touch per blog)", async () => {
    const MINUTE = 60_000;
    const history = await new Events()
      .post('a', 'x', 0)
      .post('b', 'x', 0)
      .post('c', 'y', 0)
      // u was shown a, then b, of blog x, then followed x: b won them over, a did not.
      .impression('u', 'a', 0, 'r1')
      .impression('u', 'b', 10 * MINUTE, 'r2')
      .follow('u', 'x', 12 * MINUTE)
      // Another blog's impression in between takes nothing.
      .impression('u', 'c', 11 * MINUTE, 'r3')
      // w was shown a after the follow it already made: not the cause either.
      .impression('w', 'a', 0, 'r4')
      .follow('w', 'x', 5 * MINUTE)
      .impression('w', 'b', 10 * MINUTE, 'r5')
      .session('v', 10 * HOUR)
      .history();
    const { examples } = examplesFromImpressions(history, 6 * HOUR);
    const follow = new Map(examples.map((e) => [`${e.userId}:${e.postId}`, e.labels.follow]));
    assert.deepEqual(Object.fromEntries(follow), {
      'u:a': 0,
      'u:b': 1,
      'u:c': 0,
      'w:a': 1,
      'w:b': 0,
    });
  });

  it('counts a report as a hide, as the feature store does: the ranker learns to avoid both', async () => {
    const history = await new Events()
      .post('p', 'b1', 0)
      .impression('u', 'p', HOUR)
      .engage('u', 'p', EngagementKind.ENGAGEMENT_KIND_REPORT, 2 * HOUR)
      .session('v', 10 * HOUR)
      .history();
    const { examples } = examplesFromImpressions(history, 6 * HOUR);
    assert.deepEqual(
      examples.map((e) => e.labels),
      [{ ...NO_LABELS, hide: 1 }],
    );
  });
});

describe('examples from engagements with sampled negatives', () => {
  async function world(): Promise<SiteHistory> {
    const events = new Events().blog('own-blog', 'u1');
    for (let i = 0; i < 40; i += 1) events.post(`p${i}`, i < 5 ? 'own-blog' : `b${i}`, i * HOUR);
    events
      .engage('u1', 'p10', EngagementKind.ENGAGEMENT_KIND_LIKE, 20 * HOUR)
      .engage('u1', 'p10', EngagementKind.ENGAGEMENT_KIND_REPLY, 21 * HOUR)
      .engage('u1', 'p11', EngagementKind.ENGAGEMENT_KIND_CLICK, 22 * HOUR)
      .engage('u1', 'p12', EngagementKind.ENGAGEMENT_KIND_HIDE, 25 * HOUR)
      .engage('u1', 'p12', EngagementKind.ENGAGEMENT_KIND_HIDE, 25 * HOUR, 'e-retried')
      .engage('u1', 'p12', EngagementKind.ENGAGEMENT_KIND_HIDE, 25 * HOUR, 'e-retried')
      .follow('u1', 'b10', 20 * HOUR + 5)
      // The log goes on past every attribution window above.
      .session('u2', 40 * HOUR);
    return events.history();
  }

  it('makes one positive per engaged pair and k negatives the user never touched', async () => {
    const history = await world();
    const { examples, immature } = examplesFromEngagements(history, {
      attributionWindowMs: 6 * HOUR,
      negativesPerPositive: 3,
      random: seededRandom(5),
    });
    assert.equal(immature, 0);
    const positives = examples.filter((e) => e.labels !== NO_LABELS);
    assert.deepEqual(
      positives.map((e) => [e.postId, e.labels]),
      [
        ['p10', { like: 1, reblog: 0, reply: 1, follow: 1, hide: 0 }],
        ['p12', { like: 0, reblog: 0, reply: 0, follow: 0, hide: 1 }],
      ],
    );
    const negatives = examples.filter((e) => e.labels === NO_LABELS);
    assert.equal(negatives.length, 6);
    for (const negative of negatives) {
      const n = Number(negative.postId.slice(1));
      assert.ok(![10, 11, 12].includes(n), `sampled an engaged post ${negative.postId}`);
      assert.ok(n >= 5, `sampled the user's own post ${negative.postId}`);
      // p10's negatives existed at 20 h; p12's at 25 h.
      assert.ok(n * HOUR <= negative.atMs, `sampled ${negative.postId} before it existed`);
    }
    assert.equal(
      new Set(negatives.map((e) => e.postId)).size,
      6,
      'no post sampled twice for a user',
    );
  });

  it('makes a positive, labelled hide, of a pair the user only reported, as of one they hid', async () => {
    const history = await new Events()
      .post('spam', 'b1', 0)
      .post('other', 'b2', 0)
      .engage('u', 'spam', EngagementKind.ENGAGEMENT_KIND_REPORT, 10 * HOUR)
      .session('v', 40 * HOUR)
      .history();
    const { examples } = examplesFromEngagements(history, {
      attributionWindowMs: HOUR,
      negativesPerPositive: 1,
      random: seededRandom(1),
    });
    assert.deepEqual(
      examples.map((e) => [e.postId, e.labels]),
      [
        ['spam', { ...NO_LABELS, hide: 1 }],
        ['other', NO_LABELS],
      ],
    );
  });

  it('samples the same negatives for the same seed and others for another', async () => {
    const history = await world();
    const run = (seed: number) =>
      examplesFromEngagements(history, {
        attributionWindowMs: HOUR,
        negativesPerPositive: 3,
        random: seededRandom(seed),
      }).examples.map((e) => e.postId);
    assert.deepEqual(run(5), run(5));
    assert.notDeepEqual(run(5), run(6));
  });

  it('samples negatives only among posts not yet deleted at the example time', async () => {
    const events = new Events();
    for (let i = 0; i < 20; i += 1) events.post(`p${i}`, `b${i}`, i);
    // p1-p9 are gone long before the engagement; p10-p14 only after it.
    for (let i = 1; i < 10; i += 1) events.deletePost(`p${i}`, HOUR);
    for (let i = 10; i < 15; i += 1) events.deletePost(`p${i}`, 30 * HOUR);
    const history = await events
      .engage('u', 'p0', EngagementKind.ENGAGEMENT_KIND_LIKE, 10 * HOUR)
      .session('v', 40 * HOUR)
      .history();
    for (const seed of [1, 2, 3]) {
      const { examples } = examplesFromEngagements(history, {
        attributionWindowMs: HOUR,
        negativesPerPositive: 4,
        random: seededRandom(seed),
      });
      const negatives = examples.filter((e) => e.labels === NO_LABELS);
      assert.equal(negatives.length, 4, `seed ${seed}`);
      for (const negative of negatives) {
        assert.ok(
          Number(negative.postId.slice(1)) >= 10,
          `seed ${seed} sampled ${negative.postId}, deleted before the example`,
        );
      }
    }
  });

  it('samples no negative at all when every other post was deleted by then', async () => {
    const events = new Events();
    for (let i = 0; i < 10; i += 1) events.post(`p${i}`, `b${i}`, i);
    for (let i = 1; i < 10; i += 1) events.deletePost(`p${i}`, HOUR);
    const history = await events
      .engage('u', 'p0', EngagementKind.ENGAGEMENT_KIND_LIKE, 10 * HOUR)
      .session('v', 40 * HOUR)
      .history();
    const { examples } = examplesFromEngagements(history, {
      attributionWindowMs: HOUR,
      negativesPerPositive: 4,
      random: seededRandom(42),
    });
    assert.deepEqual(
      examples.map((e) => e.postId),
      ['p0'],
    );
  });

  it("makes no positive of the user's own posts nor of posts deleted before the engagement, as the gateway serves neither", async () => {
    const history = await new Events()
      .blog('mine', 'u')
      .post('own1', 'mine', 0)
      .post('own2', 'mine', 0)
      .post('gone', 'b1', 0)
      .post('kept', 'b2', 0)
      .post('other', 'b3', 0)
      .deletePost('gone', HOUR)
      .engage('u', 'own1', EngagementKind.ENGAGEMENT_KIND_REPLY, 2 * HOUR)
      .engage('u', 'own2', EngagementKind.ENGAGEMENT_KIND_LIKE, 2 * HOUR)
      .engage('u', 'gone', EngagementKind.ENGAGEMENT_KIND_LIKE, 2 * HOUR)
      .engage('u', 'kept', EngagementKind.ENGAGEMENT_KIND_LIKE, 2 * HOUR)
      // Another reader of the blog: their engagement with it is an example.
      .engage('v', 'own1', EngagementKind.ENGAGEMENT_KIND_LIKE, 2 * HOUR)
      .session('w', 40 * HOUR)
      .history();
    const { examples } = examplesFromEngagements(history, {
      attributionWindowMs: HOUR,
      negativesPerPositive: 4,
      random: seededRandom(3),
    });
    const positives = examples.filter((e) => e.labels !== NO_LABELS);
    assert.deepEqual(positives.map((e) => `${e.userId}:${e.postId}`).sort(), ['u:kept', 'v:own1']);
    const negativesOfU = examples.filter((e) => e.userId === 'u' && e.labels === NO_LABELS);
    assert.deepEqual(
      negativesOfU.map((e) => e.postId),
      ['other'],
      "u's only servable post it never engaged with",
    );
  });

  it('dates a positive from the click or share that led to it, so its features as of then do not count that meeting', async () => {
    const MINUTE = 60_000;
    const history = await new Events()
      .post('clicked', 'b1', 0)
      .post('shared', 'b2', 0)
      .post('old-click', 'b3', 0)
      .post('plain', 'b4', 0)
      // Opened, then liked five minutes later: the user met it at the click.
      .engage('u', 'clicked', EngagementKind.ENGAGEMENT_KIND_CLICK, 10 * HOUR)
      .engage('u', 'clicked', EngagementKind.ENGAGEMENT_KIND_LIKE, 10 * HOUR + 5 * MINUTE)
      .engage('u', 'shared', EngagementKind.ENGAGEMENT_KIND_SHARE, 12 * HOUR)
      .engage('u', 'shared', EngagementKind.ENGAGEMENT_KIND_REBLOG, 12 * HOUR + MINUTE)
      // A click a whole window before the like is an earlier visit, not this meeting.
      .engage('u', 'old-click', EngagementKind.ENGAGEMENT_KIND_CLICK, HOUR)
      .engage('u', 'old-click', EngagementKind.ENGAGEMENT_KIND_LIKE, 10 * HOUR)
      .engage('u', 'plain', EngagementKind.ENGAGEMENT_KIND_LIKE, 14 * HOUR)
      .session('v', 40 * HOUR)
      .history();
    const { examples } = examplesFromEngagements(history, {
      attributionWindowMs: 6 * HOUR,
      negativesPerPositive: 1,
      random: seededRandom(2),
    });
    const positives = new Map(
      examples.filter((e) => e.labels !== NO_LABELS).map((e) => [e.postId, e]),
    );
    assert.deepEqual([...positives].map(([postId, e]) => [postId, e.atMs / MINUTE]).sort(), [
      ['clicked', 600],
      ['old-click', 600],
      ['plain', 840],
      ['shared', 720],
    ]);
    assert.equal(positives.get('clicked')?.labels.like, 1);
    assert.equal(positives.get('shared')?.labels.reblog, 1);
    // Its negatives are sampled at the same instant.
    for (const negative of examples.filter((e) => e.labels === NO_LABELS)) {
      assert.ok([600, 720, 840].includes(negative.atMs / MINUTE), `${negative.atMs / MINUTE}`);
    }
  });

  it('leaves a pair whose attribution window is still open for a later run, and counts it', async () => {
    const events = () =>
      new Events()
        .post('p0', 'b0', 0)
        .post('p1', 'b1', 0)
        .engage('u', 'p0', EngagementKind.ENGAGEMENT_KIND_LIKE, 10 * HOUR)
        .engage('u', 'p0', EngagementKind.ENGAGEMENT_KIND_REPLY, 12 * HOUR)
        .follow('u', 'b0', 13 * HOUR);
    const options = {
      attributionWindowMs: 24 * HOUR,
      negativesPerPositive: 1,
      random: seededRandom(1),
    };
    // The log ends 3 hours after the like: the reply and follow are in, more may come.
    const early = examplesFromEngagements(await events().history(), options);
    assert.deepEqual(early.examples, []);
    assert.equal(early.immature, 1, 'one (user, post) pair, counted once for its two engagements');

    // A day later the window has closed: labelled by all of it.
    const later = examplesFromEngagements(
      await events()
        .session('v', 34 * HOUR)
        .history(),
      { ...options, random: seededRandom(1) },
    );
    assert.equal(later.immature, 0);
    assert.deepEqual(
      later.examples.map((e) => [e.postId, e.labels]),
      [
        ['p0', { like: 1, reblog: 0, reply: 1, follow: 1, hide: 0 }],
        ['p1', NO_LABELS],
      ],
    );
  });
});

describe('site history', () => {
  it('knows when each post was deleted, from its first PostDeleted', async () => {
    const history = await new Events()
      .post('p1', 'b1', 0)
      .post('p2', 'b2', 0)
      .deletePost('p1', 5 * HOUR)
      .deletePost('p1', 7 * HOUR)
      .deletePost('p1', 5 * HOUR, 'retried')
      .deletePost('p1', 5 * HOUR, 'retried')
      .history();
    assert.equal(history.posts.get('p1')?.deletedAtMs, 5 * HOUR);
    assert.equal(history.posts.get('p2')?.deletedAtMs, undefined);
  });
});

describe('time split', () => {
  it('holds out the latest examples, never splitting examples of one time', () => {
    const at = [5, 1, 3, 3, 3, 2, 4, 4];
    const examples: TrainingExample[] = at.map((t, i) => ({
      userId: 'u',
      postId: `p${i}`,
      atMs: t,
      labels: NO_LABELS,
    }));
    const split = splitByTime(examples, 0.25);
    assert.deepEqual(
      split.heldOut.map((i) => at[i]),
      [4, 4, 5],
    );
    assert.equal(split.cutoffMs, 4);
    assert.ok(split.train.every((i) => at[i]! < 4));
    assert.equal(split.train.length + split.heldOut.length, at.length);
  });

  it('embargoes training examples whose attribution window reaches the cutoff', () => {
    const at = [9, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    const examples: TrainingExample[] = at.map((t, i) => ({
      userId: 'u',
      postId: `p${i}`,
      atMs: t,
      labels: NO_LABELS,
    }));
    const split = splitByTime(examples, 0.3, 2);
    assert.equal(split.cutoffMs, 7);
    const times = (indexes: number[]) => indexes.map((i) => at[i]);
    assert.deepEqual(times(split.heldOut), [7, 8, 9]);
    assert.deepEqual(times(split.train), [0, 1, 2, 3, 4]);
    // 5 + 2 reaches 7, the cutoff: labelled by an event at the held-out slice's first instant.
    assert.deepEqual(times(split.embargoed), [5, 6]);
  });

  it('trains on no label that comes from an event in the held-out period', async () => {
    const events = new Events();
    // An impression every 2 hours, each liked 3 hours later; the log ends after the last window.
    for (let i = 0; i < 20; i += 1) {
      events
        .post(`p${i}`, `b${i}`, 0)
        .impression('u', `p${i}`, 2 * i * HOUR)
        .engage('u', `p${i}`, EngagementKind.ENGAGEMENT_KIND_LIKE, (2 * i + 3) * HOUR);
    }
    const history = await events.session('v', 50 * HOUR).history();
    const windowMs = 4 * HOUR;
    const { examples } = examplesFromImpressions(history, windowMs);
    assert.equal(examples.length, 20);
    const split = splitByTime(examples, 0.25, windowMs);
    assert.equal(split.cutoffMs, 30 * HOUR);
    const trainedLikes = split.train.map((i) => {
      const example = examples[i]!;
      assert.equal(example.labels.like, 1);
      return example.atMs + 3 * HOUR;
    });
    assert.ok(trainedLikes.length > 0);
    assert.ok(
      trainedLikes.every((likedAt) => likedAt < split.cutoffMs),
      'a training label was set by a like in the held-out period',
    );
    // The impressions at 26 h and 28 h (liked at 29 h and 31 h) are in neither slice.
    assert.deepEqual(
      split.embargoed.map((i) => examples[i]!.atMs / HOUR),
      [26, 28],
    );
  });
});

describe('feature hydration', () => {
  it('lays user and post features side by side, flagging columns a response lacked', async () => {
    const layouts: Record<string, string[]> = { u1: ['post.a', 'post.b'], u2: ['post.b'] };
    const source: FeatureSource = {
      maxPostsPerCall: 2,
      async getFeatures(userId, postIds) {
        const names = layouts[userId]!;
        return {
          user: { names: ['user.x'], values: [userId === 'u1' ? 1 : 2], missing: Uint8Array.of(0) },
          candidates: {
            names,
            rows: postIds.length,
            values: postIds.flatMap((p) =>
              names.map((n) => Number(p.slice(1)) * (n === 'post.a' ? 10 : 1)),
            ),
            missing: Uint8Array.of(0, 0),
          },
        };
      },
    };
    const example = (userId: string, postId: string, like: 0 | 1): TrainingExample => ({
      userId,
      postId,
      atMs: 0,
      labels: { ...NO_LABELS, like },
    });
    const examples = [
      example('u1', 'p1', 1),
      example('u2', 'p2', 0),
      example('u1', 'p3', 0),
      example('u1', 'p4', 1),
    ];
    const hydrated = await hydrateExamples(examples, source);
    assert.deepEqual(hydrated.names, ['user.x', 'post.a', 'post.b']);
    assert.deepEqual(Array.from(hydrated.values), [1, 10, 1, 2, 0, 2, 1, 30, 3, 1, 40, 4]);
    assert.deepEqual(Array.from(hydrated.labels.like!), [1, 0, 0, 1]);
    // u2's response had no post.a: row 1, column 1 is flagged missing, nothing else is.
    const flagged = Array.from({ length: 12 }, (_, i) => isMissing(hydrated.missing, i));
    assert.deepEqual(
      flagged.map((f, i) => (f ? i : -1)).filter((i) => i >= 0),
      [4],
    );
  });

  it('flags the logged values the impression says were missing, as the ranker saw them', async () => {
    const source: FeatureSource = {
      maxPostsPerCall: 10,
      async getFeatures() {
        return {
          schema: 'v1',
          user: { names: ['user.x'], values: [0], missing: Uint8Array.of(0) },
          candidates: {
            names: ['post.a', 'post.b'],
            rows: 1,
            values: [0, 0],
            missing: Uint8Array.of(0),
          },
        };
      },
    };
    const logged = (postId: string, missing: number[]): TrainingExample => ({
      userId: 'u1',
      postId,
      atMs: 0,
      labels: NO_LABELS,
      served: { schema: 'v1', values: [1, 2, 3], missing: Uint8Array.from(missing) },
    });
    // p1: post.a (value 1) was missing; p2: nothing was (an empty bitset).
    const hydrated = await hydrateExamples([logged('p1', [0b10]), logged('p2', [])], source);
    assert.deepEqual(hydrated.provenance, { logged: 2, pointInTime: 0, current: 0 });
    assert.deepEqual(hydrated.names, ['user.x', 'post.a', 'post.b']);
    const flagged = Array.from({ length: 6 }, (_, i) => isMissing(hydrated.missing, i));
    assert.deepEqual(
      flagged.map((f, i) => (f ? i : -1)).filter((i) => i >= 0),
      [1],
    );
  });
});
