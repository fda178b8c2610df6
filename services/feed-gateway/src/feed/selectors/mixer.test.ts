import assert from 'node:assert/strict';
import { commonv1 } from '@feedmesh/contracts';
import { UNKNOWN_USER, type FeedCandidate, type FeedQuery } from '../feed-query.js';
import { StageClock } from '../stage-clock.js';
import { AuthorDiversitySelector } from './author-diversity.selector.js';
import { FreshnessSelector } from './freshness.selector.js';
import { InNetworkBalanceSelector } from './in-network-balance.selector.js';
import {
  DEFAULT_MIXER_PARAMS,
  mixerOverridesSchema,
  mixerParamsWith,
  type MixerParams,
} from './mixer-params.js';
import { NewCreatorQuotaSelector } from './new-creator-quota.selector.js';
import { withMinimumInPage } from './slot-quota.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2025, 5, 1);

function candidate(
  postId: string,
  score: number,
  extra: Partial<FeedCandidate> = {},
): FeedCandidate {
  return {
    postId,
    blogId: `b-${postId}`,
    createdAtMs: NOW - 48 * HOUR,
    reblogOf: '',
    tags: [],
    summary: '',
    sources: [{ source: 'popular', score, reason: '' }],
    score,
    ...extra,
  };
}

function query(
  pageSize: number,
  extra: Partial<Omit<FeedQuery, 'mixer' | 'exposure' | 'sourceBudgets'>> = {},
): FeedQuery {
  return {
    requestId: 'r1',
    userId: 'u1',
    surface: commonv1.Surface.SURFACE_DASHBOARD,
    tag: '',
    pageSize,
    position: 0,
    servedInSession: new Set(),
    clock: new StageClock(1_000, new AbortController().signal, () => NOW),
    user: UNKNOWN_USER,
    mixer: DEFAULT_MIXER_PARAMS,
    exposure: [],
    sourceBudgets: [],
    ...extra,
  };
}

const ids = (candidates: readonly FeedCandidate[]) => candidates.map((c) => c.postId);
const params = (overrides: Partial<MixerParams>) => () => ({
  ...DEFAULT_MIXER_PARAMS,
  ...overrides,
});

describe('the mixer', () => {
  describe('a minimum share of the page (withMinimumInPage)', () => {
    const ranked = ['a', 'b', 'c', 'd', 'e', 'X', 'f', 'Y', 'Z'].map((id, i) =>
      candidate(id, 10 - i),
    );
    const upper = (c: FeedCandidate) => c.postId === c.postId.toUpperCase();

    it('pulls the group’s best into evenly spread slots, keeping the others in order', () => {
      const result = withMinimumInPage(ranked, 4, 2, upper);
      assert.deepEqual(ids(result).slice(0, 4), ['a', 'X', 'b', 'Y']);
      assert.deepEqual(ids(result).slice(4), ['c', 'd', 'e', 'f', 'Z']);
    });

    it('changes nothing when the page already holds enough of the group', () => {
      assert.deepEqual(ids(withMinimumInPage(ranked, 6, 1, upper)), ids(ranked));
    });

    it('gives the group what it has when it has fewer than the minimum', () => {
      const result = withMinimumInPage(ranked, 5, 5, upper);
      assert.equal(result.slice(0, 5).filter(upper).length, 3);
      assert.equal(result.length, ranked.length, 'no candidate is lost');
    });
  });

  describe('NewCreatorQuotaSelector', () => {
    const ranked = [
      ...Array.from({ length: 10 }, (_, i) => candidate(`old${i}`, 100 - i)),
      candidate('new-by-feature', 5, { newCreator: true }),
      candidate('new-by-source', 4, { sources: [{ source: 'fresh', score: 1, reason: '' }] }),
      candidate('new-worse', 1, { newCreator: true }),
    ];

    it('gives new creators their share of the page, the best of them first', () => {
      const page = new NewCreatorQuotaSelector(params({ newCreatorShare: 0.2 }))
        .select(query(10), ranked)
        .slice(0, 10);
      assert.deepEqual(
        page.filter((c) => c.postId.startsWith('new')).map((c) => c.postId),
        ['new-by-feature', 'new-by-source'],
      );
    });

    it('leaves the order alone with a share of 0', () => {
      const result = new NewCreatorQuotaSelector(params({ newCreatorShare: 0 })).select(
        query(10),
        ranked,
      );
      assert.deepEqual(ids(result), ids(ranked));
    });
  });

  describe('InNetworkBalanceSelector', () => {
    const followed = new Set(['b-f1', 'b-f2', 'b-f3', 'b-f4']);
    const ranked = [
      ...['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].map((id, i) => candidate(id, 100 - i)),
      ...['f1', 'f2', 'f3', 'f4'].map((id, i) => candidate(id, 50 - i)),
    ];
    const reader = { ...UNKNOWN_USER, followedBlogs: followed };

    it('fills the dashboard page with the share of followed blogs it is given', () => {
      const page = new InNetworkBalanceSelector(params({ inNetworkShare: 0.5 }))
        .select(query(6, { user: reader }), ranked)
        .slice(0, 6);
      assert.equal(page.filter((c) => followed.has(c.blogId)).length, 3);
      assert.deepEqual(ids(page.filter((c) => !followed.has(c.blogId))), ['r1', 'r2', 'r3']);
    });

    it('also keeps recommendations when followed blogs would take the whole page', () => {
      const inNetworkFirst = [...ranked].sort((a, b) =>
        followed.has(a.blogId) === followed.has(b.blogId) ? 0 : followed.has(a.blogId) ? -1 : 1,
      );
      const page = new InNetworkBalanceSelector(params({ inNetworkShare: 0.5 }))
        .select(query(4, { user: reader }), inNetworkFirst)
        .slice(0, 4);
      assert.equal(page.filter((c) => followed.has(c.blogId)).length, 2);
    });

    it('does nothing off the dashboard or without a share', () => {
      const onExplore = query(6, { user: reader, surface: commonv1.Surface.SURFACE_EXPLORE });
      const balanced = new InNetworkBalanceSelector(params({ inNetworkShare: 0.5 }));
      assert.deepEqual(ids(balanced.select(onExplore, ranked)), ids(ranked));
      const unset = new InNetworkBalanceSelector(params({}));
      assert.deepEqual(ids(unset.select(query(6, { user: reader }), ranked)), ids(ranked));
    });
  });

  describe('the selectors composed, as the pipeline runs them', () => {
    const followed = new Set(['b-f1', 'b-f2', 'b-f3']);
    const reader = { ...UNKNOWN_USER, followedBlogs: followed };
    const fresh = { sources: [{ source: 'fresh', score: 1, reason: '' }] };
    const mix = (overrides: Partial<MixerParams>) => [
      new FreshnessSelector(params(overrides), () => NOW),
      new AuthorDiversitySelector(params(overrides)),
      new InNetworkBalanceSelector(params(overrides)),
      new NewCreatorQuotaSelector(params(overrides)),
    ];
    const run = (overrides: Partial<MixerParams>, pageSize: number, input: FeedCandidate[]) =>
      mix(overrides).reduce(
        (candidates, selector) => selector.select(query(pageSize, { user: reader }), candidates),
        input,
      );

    it('keeps the in-network share when a new creator takes a slot, displacing its own side', () => {
      const ranked = [
        candidate('f1', 10),
        candidate('r1', 9),
        candidate('r2', 8),
        candidate('f2', 7),
        candidate('r3', 6),
        candidate('new', 5, fresh),
        candidate('f3', 4),
      ];
      const result = run({ inNetworkShare: 0.5, newCreatorShare: 0.25 }, 4, ranked);
      const page = result.slice(0, 4);
      assert.ok(
        page.some((c) => c.postId === 'new'),
        'the new creator has its slot',
      );
      assert.equal(page.filter((c) => followed.has(c.blogId)).length, 2, ids(page).join());
      assert.deepEqual(ids(page), ['f1', 'r1', 'f2', 'new']);
      assert.deepEqual(ids(result).sort(), ids(ranked).sort(), 'no candidate lost or repeated');
    });

    it('honours both shares and loses nothing on random pages, short ones included', () => {
      let seed = 11;
      const random = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
      for (let round = 0; round < 500; round++) {
        const candidates = Array.from({ length: Math.floor(random() * 16) }, (_, i) =>
          candidate(`p${i}`, Math.round(random() * 8) / 2, {
            blogId: random() < 0.4 ? `b-f${i % 3}` : `b-r${i % 4}`,
            ...(random() < 0.25 ? fresh : {}),
          }),
        );
        const pageSize = 1 + Math.floor(random() * 10);
        const inNetworkShare = Math.round(random() * 10) / 10;
        const newCreatorShare = Math.round(random() * 4) / 10;
        const result = run({ inNetworkShare, newCreatorShare }, pageSize, candidates);
        assert.deepEqual(ids(result).sort(), ids(candidates).sort());
        const page = result.slice(0, pageSize);
        const count = (list: readonly FeedCandidate[], test: (c: FeedCandidate) => boolean) =>
          list.filter(test).length;
        const isFollowed = (c: FeedCandidate) => followed.has(c.blogId);
        const isNew = (c: FeedCandidate) => c.sources.some((s) => s.source === 'fresh');
        const inNetwork = Math.round(inNetworkShare * pageSize);
        const newMinimum = Math.min(Math.round(newCreatorShare * pageSize), count(result, isNew));
        const context = `round ${round}: ${ids(page).join()}`;
        assert.ok(count(page, isNew) >= newMinimum, context);
        // Both sides keep their share whenever the new creators fit in it.
        const newFollowed = count(page, (c) => isNew(c) && isFollowed(c));
        const newOther = count(page, (c) => isNew(c) && !isFollowed(c));
        const followedMinimum = Math.min(inNetwork, count(result, isFollowed));
        const otherMinimum = Math.min(
          pageSize - inNetwork,
          count(result, (c) => !isFollowed(c)),
        );
        if (newFollowed <= followedMinimum && newOther <= otherMinimum) {
          assert.ok(count(page, isFollowed) >= followedMinimum, `followed, ${context}`);
          assert.ok(count(page, (c) => !isFollowed(c)) >= otherMinimum, `others, ${context}`);
        }
      }
    });
  });

  describe('AuthorDiversitySelector', () => {
    /** The greedy pass looking at every candidate for every slot: what the selector must equal. */
    function everyCandidate(
      candidates: readonly FeedCandidate[],
      pageSize: number,
      decay: number,
    ): FeedCandidate[] {
      const head = [...candidates].sort((a, b) => b.score - a.score);
      const shown = new Map<string, number>();
      const ordered: FeedCandidate[] = [];
      while (head.length > 0 && ordered.length < pageSize) {
        let bestIndex = 0;
        let bestValue = -Infinity;
        head.forEach((c, index) => {
          const factor = decay ** (shown.get(c.blogId) ?? 0);
          const value = c.score >= 0 ? c.score * factor : c.score / factor;
          if (value > bestValue) {
            bestValue = value;
            bestIndex = index;
          }
        });
        const [chosen] = head.splice(bestIndex, 1);
        shown.set(chosen!.blogId, (shown.get(chosen!.blogId) ?? 0) + 1);
        ordered.push(chosen!);
      }
      return ordered.concat(head);
    }

    it('picks the same page as looking at every candidate: ties, negative scores, few blogs', () => {
      let seed = 7;
      const random = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
      for (let round = 0; round < 200; round++) {
        const blogs = 1 + Math.floor(random() * 6);
        const candidates = Array.from({ length: 1 + Math.floor(random() * 60) }, (_, i) =>
          candidate(`p${i}`, Math.round((random() - 0.3) * 8) / 2, {
            blogId: `b${Math.floor(random() * blogs)}`,
          }),
        );
        const decay = [0.5, 1, 0.1, 0.9][round % 4]!;
        const pageSize = 1 + Math.floor(random() * 25);
        const selected = new AuthorDiversitySelector(
          params({ authorDiversityDecay: decay }),
        ).select(query(pageSize), candidates);
        assert.deepEqual(ids(selected), ids(everyCandidate(candidates, pageSize, decay)));
      }
    });

    it('keeps a NaN score from cutting the scan short', () => {
      // With a NaN among them the sort leaves 4 behind a 0: a scan stopping at that 0 misses it.
      const candidates = [0, 0, Number.NaN, 4, 0].map((score, i) =>
        candidate(`p${i}`, score, { blogId: `b${i}` }),
      );
      const selected = new AuthorDiversitySelector(params({ authorDiversityDecay: 0.5 })).select(
        query(5),
        candidates,
      );
      assert.equal(selected[0]!.postId, 'p3');
      assert.deepEqual(ids(selected), ids(everyCandidate(candidates, 5, 0.5)));
    });

    it('lets a blog’s second post fall below another blog’s first', () => {
      const candidates = [
        candidate('b1-first', 10, { blogId: 'b1' }),
        candidate('b1-second', 9, { blogId: 'b1' }),
        candidate('b2-first', 6, { blogId: 'b2' }),
      ];
      const selected = new AuthorDiversitySelector(params({ authorDiversityDecay: 0.5 })).select(
        query(3),
        candidates,
      );
      assert.deepEqual(ids(selected), ['b1-first', 'b2-first', 'b1-second']);
    });
  });

  describe('FreshnessSelector', () => {
    it('lifts a post published now above an older one it trailed, by 1 + boost', () => {
      const older = candidate('older', 10, { createdAtMs: NOW - 240 * HOUR });
      const fresh = candidate('fresh', 6, { createdAtMs: NOW });
      const result = new FreshnessSelector(
        params({ freshnessBoost: 1, freshnessHalfLifeHours: 6 }),
        () => NOW,
      ).select(query(10), [older, fresh]);
      assert.deepEqual(ids(result), ['fresh', 'older']);
      assert.equal(result[0]!.score, 12);
      assert.ok(Math.abs(result[1]!.score - 10 * (1 + 2 ** -40)) < 1e-9);
    });
  });

  describe('parameters', () => {
    it('applies overrides in order over the defaults', () => {
      const merged = mixerParamsWith(DEFAULT_MIXER_PARAMS, { newCreatorShare: 0.1 }, undefined, {
        newCreatorShare: 0.3,
        freshnessBoost: 2,
      });
      assert.equal(merged.newCreatorShare, 0.3);
      assert.equal(merged.freshnessBoost, 2);
      assert.equal(merged.authorDiversityDecay, DEFAULT_MIXER_PARAMS.authorDiversityDecay);
    });

    it('rejects an out-of-range or unknown override, naming it', () => {
      const bad = mixerOverridesSchema.safeParse({ newCreatorShare: 1.5 });
      assert.equal(bad.success, false);
      assert.deepEqual(bad.error?.issues[0]?.path, ['newCreatorShare']);
      const unknown = mixerOverridesSchema.safeParse({ newCreatorShares: 0.1 });
      assert.equal(unknown.success, false);
      assert.match(JSON.stringify(unknown.error?.issues), /newCreatorShares/);
    });
  });
});
