import assert from 'node:assert/strict';
import { gatewayv1, searchv1 } from '@feedmesh/contracts';
import { SearchCursorCodec, type SearchQuery } from '@feedmesh/search';
import { EXIT_OK } from '../cli-errors.js';
import { runCliForTest, startFakeGateway, type FakeGateway } from '../test-support/fake-gateway.js';

describe('feedmesh search', () => {
  let gateway: FakeGateway;
  before(async () => {
    gateway = await startFakeGateway();
    gateway.searchResponse = gatewayv1.SearchResponse.fromPartial({
      requestId: 'req-s1',
      totalHits: 1234,
      ranking: gatewayv1.SearchRanking.SEARCH_RANKING_PERSONALIZED,
      nextCursor: 's2',
      hits: [
        {
          postId: 'p9',
          blogId: 'b3',
          score: 7.25,
          tags: ['baking'],
          createdAtMs: Date.UTC(2025, 4, 30, 8, 15),
          highlights: [{ field: 'text', snippet: 'my «sourdough» «starter» finally rose' }],
        },
      ],
    });
  });
  after(() => gateway.stop());

  it('sends the words as one query with the filters and order given', async () => {
    const run = await runCliForTest([
      'search',
      'sourdough',
      'starter',
      '--user',
      'u7',
      '--tag',
      '#baking',
      '--tag',
      'bread',
      '--blog',
      'b3',
      '--order',
      'recency',
      '--page-size',
      '5',
      '--addr',
      gateway.address,
    ]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.deepEqual(gateway.searchRequests.at(-1), {
      userId: 'u7',
      query: 'sourdough starter',
      tags: ['baking', 'bread'],
      blogId: 'b3',
      order: searchv1.SearchOrder.SEARCH_ORDER_RECENCY,
      pageSize: 5,
      cursor: '',
    });
  });

  it('prints each hit with its highlights and the next page command', async () => {
    const run = await runCliForTest(['search', 'sourdough', 'starter', '--addr', gateway.address]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.match(
      run.stdout,
      /1,234 hits for "sourdough starter" · ranking personalized · request req-s1/,
    );
    assert.match(run.stdout, /  1\. p9 · b3 · 7\.250 · 2025-05-30 08:15 · #baking\n/);
    assert.match(run.stdout, /     text: my «sourdough» «starter» finally rose\n/);
    assert.match(
      run.stdout,
      /next page: npm run feedmesh -- search 'sourdough starter' --order relevance --page-size 20 --addr \S+ --cursor s2/,
    );
  });

  it("numbers a later page's hits from where the page starts, as its cursor says", async () => {
    const query: SearchQuery = {
      terms: ['dungeon', 'master'],
      phrases: [],
      tags: [],
      blogs: [],
      blogIds: [],
      order: 'relevance',
    };
    const cursor = new SearchCursorCodec('test-secret').encode(query, {
      offset: 3,
      maxDoc: 100,
      generation: 1,
    });
    const run = await runCliForTest([
      'search',
      'dungeon master',
      '--page-size',
      '3',
      '--cursor',
      cursor,
      '--addr',
      gateway.address,
    ]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.match(run.stdout, /\n  4\. p9 · b3/);
  });

  it('says "1 hit", not "1 hits"', async () => {
    const saved = gateway.searchResponse;
    gateway.searchResponse = { ...saved, totalHits: 1, nextCursor: '' };
    try {
      const run = await runCliForTest(['search', 'x', '--addr', gateway.address]);
      assert.match(run.stdout, /^1 hit for "x" · /);
    } finally {
      gateway.searchResponse = saved;
    }
  });

  it('prints the response as JSON with --json', async () => {
    const run = await runCliForTest(['search', 'x', '--json', '--addr', gateway.address]);
    const parsed = gatewayv1.SearchResponse.fromJSON(JSON.parse(run.stdout));
    assert.deepEqual(parsed, gateway.searchResponse);
  });
});
