import assert from 'node:assert/strict';
import { candidatesv1, commonv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { parseGenerateRequest, parseTrendingRequest } from './requests.js';

const { Surface } = commonv1;
const NAMES = new Set(['following', 'popular', 'embeddings']);

function generate(overrides: Partial<candidatesv1.GenerateRequest>): candidatesv1.GenerateRequest {
  return {
    ...candidatesv1.GenerateRequest.fromPartial({
      userId: 'u1',
      surface: Surface.SURFACE_FOR_YOU,
      maxCandidates: 100,
    }),
    ...overrides,
  };
}

function rejection(run: () => unknown): InvalidArgumentError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    return error;
  }
  assert.fail('expected InvalidArgumentError');
}

describe('Generate request validation', () => {
  const budget = (source: string, maxCandidates = 10, timeoutMs = 0) => ({
    source,
    maxCandidates,
    timeoutMs,
  });
  const cases: [string, Partial<candidatesv1.GenerateRequest>, string][] = [
    ['an empty user id', { userId: '' }, 'user_id'],
    ['a user id with a space', { userId: 'a b' }, 'user_id'],
    ['an unset surface', { surface: Surface.SURFACE_UNSPECIFIED }, 'surface'],
    ['an unknown surface', { surface: 42 as commonv1.Surface }, 'surface'],
    ['a tag page without a tag', { surface: Surface.SURFACE_TAG }, 'tag'],
    ['a tag with its #', { surface: Surface.SURFACE_TAG, tag: '#cats' }, 'tag'],
    ['a blank tag', { surface: Surface.SURFACE_TAG, tag: '   ' }, 'tag'],
    ['a 65-character tag', { surface: Surface.SURFACE_TAG, tag: 'x'.repeat(65) }, 'tag'],
    ['zero candidates', { maxCandidates: 0 }, 'max_candidates'],
    ['5,001 candidates', { maxCandidates: 5_001 }, 'max_candidates'],
    [
      'an unknown source',
      { sourceBudgets: [budget('popular'), budget('magic')] },
      'source_budgets[1].source',
    ],
    ['a nameless source', { sourceBudgets: [budget('')] }, 'source_budgets[0].source'],
    [
      'a source budgeted twice',
      { sourceBudgets: [budget('popular'), budget('popular')] },
      'source_budgets[1].source',
    ],
    [
      'a source budget over 5,000',
      { sourceBudgets: [budget('popular', 5_001)] },
      'source_budgets[0].max_candidates',
    ],
    [
      'a source timeout over 10 s',
      { sourceBudgets: [budget('following', 10, 10_001)] },
      'source_budgets[0].timeout_ms',
    ],
    [
      'too many budgets',
      { sourceBudgets: Array.from({ length: 33 }, () => budget('popular')) },
      'source_budgets',
    ],
    [
      '5,001 excluded posts',
      { excludePostIds: Array.from({ length: 5_001 }, (_, i) => `p${i}`) },
      'exclude_post_ids',
    ],
    ['a bad excluded post id', { excludePostIds: ['ok', 'not ok'] }, 'exclude_post_ids[1]'],
  ];
  for (const [what, overrides, field] of cases) {
    it(`rejects ${what}, naming ${field}`, () => {
      assert.equal(rejection(() => parseGenerateRequest(generate(overrides), NAMES)).field, field);
    });
  }

  it('accepts an unknown user, normalizes the tag and keeps the budgets', () => {
    const query = parseGenerateRequest(
      generate({
        userId: 'brand-new-user',
        surface: Surface.SURFACE_TAG,
        tag: 'Cats',
        maxCandidates: 5_000,
        sourceBudgets: [budget('popular', 0), budget('following', 5_000, 10_000)],
        excludePostIds: ['p1'],
      }),
      NAMES,
    );
    assert.equal(query.tag, 'cats');
    assert.deepEqual(
      [...query.budgets],
      [
        ['popular', { maxCandidates: 0, timeoutMs: 0 }],
        ['following', { maxCandidates: 5_000, timeoutMs: 10_000 }],
      ],
    );
    assert.deepEqual([...query.exclude], ['p1']);
  });
});

describe('Trending request validation', () => {
  const cases: [string, candidatesv1.TrendingRequest, string][] = [
    ['a zero limit', { limit: 0, windowS: 0 }, 'limit'],
    ['a limit over 100', { limit: 101, windowS: 0 }, 'limit'],
    ['a window over a week', { limit: 10, windowS: 604_801 }, 'window_s'],
  ];
  for (const [what, request, field] of cases) {
    it(`rejects ${what}, naming ${field}`, () => {
      assert.equal(rejection(() => parseTrendingRequest(request)).field, field);
    });
  }

  it('leaves the default window to the service when the request sets none', () => {
    assert.deepEqual(parseTrendingRequest({ limit: 100, windowS: 0 }), { limit: 100, windowMs: 0 });
    assert.deepEqual(parseTrendingRequest({ limit: 1, windowS: 604_800 }), {
      limit: 1,
      windowMs: 604_800_000,
    });
  });
});
