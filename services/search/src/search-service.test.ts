import assert from 'node:assert/strict';
import { eventsv1, searchv1 } from '@feedmesh/contracts';
import {
  ClientError,
  createRuntime,
  createServiceClient,
  loadConfig,
  Status,
  type ClientHandle,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { testRedis, testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import { searchConfigShape, startSearch } from './index.js';

const silent = createLogger('search-test', { level: 'silent' });
type Client = ClientHandle<typeof searchv1.SearchServiceDefinition>['client'];

let eventSeq = 0;
function event(atMs: number, payload: eventsv1.Event['payload']): eventsv1.Event {
  eventSeq += 1;
  return { eventId: `e-${process.pid}-${eventSeq}`, atMs, payload };
}
const postCreated = (
  postId: string,
  text: string,
  extra: Partial<eventsv1.PostCreated> = {},
  atMs = 1_000,
) =>
  event(atMs, {
    $case: 'postCreated',
    value: { postId, blogId: 'b1', text, tags: [], mediaKind: 1, reblogOf: '', ...extra },
  });
const postDeleted = (postId: string) => event(5_000, { $case: 'postDeleted', value: { postId } });
const blogCreated = (blogId: string, name: string) =>
  event(100, { $case: 'blogCreated', value: { blogId, ownerUserId: 'u1', name, title: '' } });

function request(
  query: string,
  extra: Partial<searchv1.SearchRequest> = {},
): searchv1.SearchRequest {
  return { query, tags: [], blogId: '', order: 0, pageSize: 10, cursor: '', ...extra };
}

async function rejection(call: Promise<unknown>): Promise<ClientError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
  return error;
}

function searchServiceSuite(kind: 'memory' | 'redis') {
  describe(`search service over gRPC, ${kind} event log`, () => {
    const prefix = uniquePrefix('search');
    let runtime: Runtime;
    let server: RunningServer;
    let handle: ClientHandle<typeof searchv1.SearchServiceDefinition>;
    let client: Client;

    async function start() {
      const config = loadConfig(searchConfigShape, {
        GRPC_LISTEN: '127.0.0.1:0',
        CONSUMER_NAME: 'search-test-0',
      });
      server = await startSearch({ config, runtime, logger: silent });
      handle = createServiceClient(searchv1.SearchServiceDefinition, server.address, {
        deadlineMs: 5_000,
      });
      client = handle.client;
    }

    const publish = (...events: eventsv1.Event[]) => runtime.eventLog.append(events);
    const postIds = async (query: string, extra: Partial<searchv1.SearchRequest> = {}) =>
      (await client.search(request(query, extra))).hits.map((hit) => hit.postId);
    /** Waits until the query finds exactly these posts, in any order. */
    const eventually = (what: string, query: string, expected: string[]) =>
      waitFor(what, async () => {
        const found = (await postIds(query)).sort();
        return JSON.stringify(found) === JSON.stringify([...expected].sort()) ? found : undefined;
      });

    before(async () => {
      runtime = createRuntime(
        {
          REDIS_URL: kind === 'redis' ? testRedisUrl() : undefined,
          REDIS_CLUSTER: false,
          REDIS_PREFIX: prefix,
          EVENT_PARTITIONS: 4,
          CONSUMER_NAME: 'search-test-0',
        },
        silent,
      );
      await start();
    });

    after(async () => {
      handle.close();
      await server.shutdown();
      await runtime.close();
      if (kind === 'redis') await testRedis(prefix).cleanup();
    });

    it('finds a post soon after its PostCreated is appended to the log', async () => {
      await publish(postCreated('fresh-1', 'A wombat waddles through the garden'));
      await eventually('the new post to be searchable', 'wombats', ['fresh-1']);
    });

    it('stops finding a post once its PostDeleted is in the log', async () => {
      await publish(postCreated('gone-1', 'quokka selfie'), postCreated('kept-1', 'quokka smile'));
      await eventually('both posts', 'quokka', ['gone-1', 'kept-1']);
      await publish(postDeleted('gone-1'));
      await eventually('the deleted post to vanish', 'quokka', ['kept-1']);
    });

    it('filters by the request tags and blog_id, and by #tag and blog: in the query', async () => {
      await publish(
        blogCreated('b-otter', 'Otter-Daily'),
        postCreated('otter-1', 'otter floating', { blogId: 'b-otter', tags: ['Otters', 'cute'] }),
        postCreated('otter-2', 'otter diving', { blogId: 'b-otter', tags: ['otters'] }),
        postCreated('otter-3', 'otter elsewhere', { blogId: 'b-other', tags: ['cute'] }),
      );
      await waitFor('the otter posts', async () => (await postIds('otter')).length === 3);
      assert.deepEqual(await postIds('otter', { tags: ['cute'], blogId: 'b-otter' }), ['otter-1']);
      assert.deepEqual((await postIds('otter #otters')).sort(), ['otter-1', 'otter-2']);
      assert.deepEqual((await postIds('blog:otter-daily')).sort(), ['otter-1', 'otter-2']);
      assert.deepEqual(await postIds('otter blog:b-other'), ['otter-3']);
    });

    it('matches a tag filter on the typed tag or its canonical form, either way round', async () => {
      const cats = ['tabby-cat', 'tabby-Cats', 'tabby-cats', 'tabby-cat-dog'];
      await publish(
        postCreated('tabby-cat', 'a purring tabby', { tags: ['cat'] }, 2_001),
        postCreated('tabby-Cats', 'a purring tabby', { tags: ['Cats'] }, 2_002),
        postCreated('tabby-cats', 'a purring tabby', { tags: ['cats'] }, 2_003),
        postCreated('tabby-cat-dog', 'a purring tabby', { tags: ['cat', 'Dogs'] }, 2_004),
        postCreated('tabby-dog', 'a purring tabby', { tags: ['dog'] }, 2_005),
      );
      await eventually('the tabby posts', 'purring', [...cats, 'tabby-dog']);
      const sorted = async (query: string, extra: Partial<searchv1.SearchRequest> = {}) =>
        (await postIds(query, extra)).sort();
      assert.deepEqual(await sorted('purring #cats'), [...cats].sort(), '#cats finds "cat"');
      assert.deepEqual(await sorted('purring #cat'), [...cats].sort(), '#cat finds "Cats"');
      assert.deepEqual(await sorted('purring', { tags: ['Cats'] }), [...cats].sort());
      assert.deepEqual(await sorted('purring #cats #dogs'), ['tabby-cat-dog']);
      assert.deepEqual(await sorted('purring', { tags: ['cats', 'dogs'] }), ['tabby-cat-dog']);

      // A filter-only query, paged: each post once, the cursor accepted, totals exact.
      const seen: string[] = [];
      let cursor = '';
      do {
        const page = await client.search(request('#cats', { pageSize: 3, cursor }));
        assert.equal(page.totalHits, cats.length);
        seen.push(...page.hits.map((h) => h.postId));
        cursor = page.nextCursor;
      } while (cursor !== '');
      assert.deepEqual(seen, [...cats].reverse(), 'newest first, no post twice');

      const [hit] = (await client.search(request('purring #cats', { tags: ['dogs'] }))).hits;
      assert.equal(hit?.postId, 'tabby-cat-dog');
      assert.deepEqual(
        hit?.highlights.find((h) => h.field === 'tags')?.snippet,
        '«cat», «Dogs»',
        'the tags the filters matched are marked',
      );
    });

    it('matches a quoted phrase only in order, and requires it beside free words', async () => {
      await publish(
        postCreated('phrase-1', 'the snow leopard sleeps on the ridge'),
        postCreated('phrase-2', 'a leopard in the snow'),
        postCreated('phrase-3', 'snow leopard cubs and a ridge walk'),
      );
      await eventually('the leopard posts', 'leopard', ['phrase-1', 'phrase-2', 'phrase-3']);
      assert.deepEqual((await postIds('"snow leopard"')).sort(), ['phrase-1', 'phrase-3']);
      assert.deepEqual((await postIds('"leopard snow"')).sort(), []);
      assert.deepEqual(await postIds('"snow leopard" sleeping'), ['phrase-1', 'phrase-3']);
      assert.deepEqual(await postIds('"leopard in the snow"'), ['phrase-2']);
    });

    it('returns highlights, tags and creation time with each hit', async () => {
      await publish(
        postCreated('lemur-1', 'The ring-tailed lemur sunbathes every morning', {
          tags: ['Lemurs'],
          blogId: 'b-otter',
        }),
      );
      const response = await waitFor('the lemur post', async () => {
        const r = await client.search(request('"tailed lemur" sunbathing'));
        return r.hits.length === 1 ? r : undefined;
      });
      const [hit] = response.hits;
      assert.equal(hit?.blogId, 'b-otter');
      assert.deepEqual(hit?.tags, ['Lemurs']);
      assert.equal(hit?.createdAtMs, 1_000);
      assert.ok((hit?.score ?? 0) > 0);
      assert.deepEqual(hit?.highlights, [
        { field: 'text', snippet: 'The ring-«tailed» «lemur» «sunbathes» every morning' },
        { field: 'tags', snippet: '«Lemurs»' },
      ]);
      assert.equal(response.totalHits, 1);
      assert.equal(response.nextCursor, '');
    });

    it('pages with cursors without overlap, newest first, and refuses foreign cursors', async () => {
      await publish(
        ...Array.from({ length: 23 }, (_, i) =>
          postCreated(`kiwi-${i}`, 'kiwi bird', {}, 10_000 + i),
        ),
      );
      await waitFor(
        'all kiwi posts',
        async () => (await client.search(request('kiwi'))).totalHits === 23,
      );
      const seen: string[] = [];
      let cursor = '';
      for (let page = 0; page < 5; page += 1) {
        const response = await client.search(
          request('kiwi', { order: searchv1.SearchOrder.SEARCH_ORDER_RECENCY, cursor }),
        );
        seen.push(...response.hits.map((h) => h.postId));
        assert.equal(response.totalHits, 23);
        cursor = response.nextCursor;
        if (cursor === '') break;
      }
      assert.deepEqual(
        seen,
        Array.from({ length: 23 }, (_, i) => `kiwi-${22 - i}`),
      );

      const first = await client.search(request('kiwi'));
      const other = await rejection(client.search(request('bird', { cursor: first.nextCursor })));
      assert.equal(other.code, Status.INVALID_ARGUMENT);
      assert.match(other.details, /^cursor: belongs to a different query/);
      const forged = await rejection(client.search(request('kiwi', { cursor: 'eyJ2IjoxfQ.AAAA' })));
      assert.equal(forged.code, Status.INVALID_ARGUMENT);
      assert.match(forged.details, /^cursor: /);
    });

    it('answers bad requests with INVALID_ARGUMENT naming the field', async () => {
      const cases: [Partial<searchv1.SearchRequest> & { query: string }, RegExp][] = [
        [{ query: '   ' }, /^query: is required/],
        [{ query: 'x'.repeat(513) }, /^query: must be at most 512 characters/],
        [
          { query: 'x', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) },
          /^tags: must have at most 10/,
        ],
        [{ query: 'x', tags: ['ok', '#'] }, /^tags\[1\]: must not be empty/],
        [{ query: 'x', blogId: 'not an id!' }, /^blog_id: /],
        [{ query: 'x', order: 7 as searchv1.SearchOrder }, /^order: unknown value 7/],
        [{ query: 'x', pageSize: 0 }, /^page_size: must be between 1 and 100/],
        [{ query: 'x', pageSize: 101 }, /^page_size: /],
      ];
      for (const [fields, details] of cases) {
        const error = await rejection(client.search(request(fields.query, fields)));
        assert.equal(error.code, Status.INVALID_ARGUMENT, fields.query);
        assert.match(error.details, details);
      }
    });

    it('reads unbalanced quotes, stop words alone and Unicode sensibly', async () => {
      await publish(
        postCreated('unicode-1', 'Un café très naïve à Paris'),
        postCreated('unicode-2', '我喜欢熊猫 and Ελληνικά'),
      );
      await eventually('the café post', 'cafe', ['unicode-1']);
      assert.deepEqual(await postIds('"naive paris'), ['unicode-1']);
      assert.deepEqual(await postIds('the of and'), []);
      await eventually('the CJK post', '熊猫', ['unicode-2']);
      assert.deepEqual(await postIds('"""'), []);
    });

    it('reads character references in post text as the characters they stand for', async () => {
      await publish(
        postCreated('entity-1', 'Tom &amp; Jerry play Pok&eacute;mon: &quot;best&nbsp;game&quot;'),
        postCreated('entity-2', 'Write &amp;amp; to show an ampersand'),
      );
      await eventually('both posts', 'jerry ampersand', ['entity-1', 'entity-2']);
      assert.deepEqual(await postIds('Pokémon'), ['entity-1']);
      assert.deepEqual(await postIds('pokemon'), ['entity-1']);
      assert.deepEqual(await postIds('"best game"'), ['entity-1'], 'no word between them');
      for (const name of ['eacute', 'quot', 'nbsp']) assert.deepEqual(await postIds(name), []);
      // The query is read as typed: "&amp;" is the word "amp", which only the post that shows
      // its readers the text "&amp;" holds.
      assert.deepEqual(await postIds('amp'), ['entity-2']);
      assert.deepEqual(await postIds('&amp;'), ['entity-2']);

      const [game] = (await client.search(request('pokémon game'))).hits;
      assert.deepEqual(game?.highlights, [
        { field: 'text', snippet: 'Tom & Jerry play «Pokémon»: "best\u00a0«game»"' },
      ]);
      const [ampersand] = (await client.search(request('ampersand'))).hits;
      assert.deepEqual(ampersand?.highlights, [
        { field: 'text', snippet: 'Write &amp; to show an «ampersand»' },
      ]);
    });

    it('suggests tags and blog names by popularity', async () => {
      await publish(
        blogCreated('b-cap', 'capybara-club'),
        ...['capybaras', 'capybaras', 'capybaras', 'capybara-facts'].map((tag, i) =>
          postCreated(`capy-${i}`, 'capybara', { tags: [tag], blogId: 'b-cap' }),
        ),
      );
      await waitFor('the capybara posts', async () => (await postIds('capybara')).length === 4);
      const both = await client.suggest({ prefix: 'capy', limit: 0, kinds: [] });
      assert.deepEqual(
        both.suggestions.map((s) => [s.kind, s.text, s.blogId, s.count]),
        [
          [searchv1.SuggestionKind.SUGGESTION_KIND_BLOG, 'capybara-club', 'b-cap', 4],
          [searchv1.SuggestionKind.SUGGESTION_KIND_TAG, 'capybaras', '', 3],
          [searchv1.SuggestionKind.SUGGESTION_KIND_TAG, 'capybara-facts', '', 1],
        ],
      );
      const tagsOnly = await client.suggest({ prefix: '#Capy', limit: 1, kinds: [] });
      assert.deepEqual(
        tagsOnly.suggestions.map((s) => s.text),
        ['capybaras'],
      );
      const blogsOnly = await client.suggest({
        prefix: 'capy',
        limit: 5,
        kinds: [searchv1.SuggestionKind.SUGGESTION_KIND_BLOG],
      });
      assert.deepEqual(
        blogsOnly.suggestions.map((s) => s.text),
        ['capybara-club'],
      );
      const badLimit = await rejection(client.suggest({ prefix: 'c', limit: 51, kinds: [] }));
      assert.match(badLimit.details, /^limit: must be between 1 and 50/);
      const badKind = await rejection(client.suggest({ prefix: 'c', limit: 1, kinds: [0] }));
      assert.match(badKind.details, /^kinds\[0\]: must be set/);
      const empty = await rejection(client.suggest({ prefix: ' ', limit: 1, kinds: [] }));
      assert.match(empty.details, /^prefix: is required/);
    });

    it('rebuilds its index from the log when it restarts with the same consumer name', async () => {
      await publish(postCreated('before-restart', 'narwhal tusk'));
      await eventually('the narwhal post', 'narwhal', ['before-restart']);
      handle.close();
      await server.shutdown();
      await start();
      assert.deepEqual(await postIds('narwhal'), ['before-restart']);
      assert.deepEqual(await postIds('quokka'), ['kept-1'], 'deletions survive the replay too');
      await publish(postCreated('after-restart', 'narwhal song'));
      await waitFor(
        'the post after the restart',
        async () => (await postIds('narwhal')).length === 2,
      );
    });
  });
}

searchServiceSuite('memory');
searchServiceSuite('redis');
