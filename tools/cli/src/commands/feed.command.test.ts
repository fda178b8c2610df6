import assert from 'node:assert/strict';
import { commonv1, gatewayv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { ServerError, Status } from '@feedmesh/service-kit';
import { EXIT_FAILED, EXIT_OK } from '../cli-errors.js';
import { renderFeed } from '../render/feed-table.js';
import { runCliForTest, startFakeGateway, type FakeGateway } from '../test-support/fake-gateway.js';
import { startSilentPeer, type SilentPeer } from '../test-support/silent-peer.js';

const PAGE = gatewayv1.GetFeedResponse.fromPartial({
  requestId: 'req-7f3a',
  model: 'feed@3',
  nextCursor: 'c2:abc',
  degraded: [{ component: 'source:co-engagement', reason: 'deadline exceeded; dropped' }],
  experiments: [{ experiment: 'ranker-v2', variant: 'treatment' }],
  items: [
    {
      postId: 'p101',
      blogId: 'b7',
      source: 'following',
      sources: ['following', 'tags'],
      score: 0.8123,
      reason: 'because you follow @cozy-sourdough',
      position: 0,
      tags: ['baking', 'sourdough'],
      createdAtMs: Date.UTC(2025, 5, 1),
      summary:
        'Finally tried sourdough and I am never going back. The crumb on this one is unreal.',
    },
    {
      postId: 'p202',
      blogId: 'b9',
      source: 'fresh-creators',
      sources: ['fresh-creators'],
      score: 0.5,
      reason: 'new creator',
      position: 1,
      tags: [],
      createdAtMs: Date.UTC(2025, 5, 2),
      summary: 'hello\nworld',
    },
  ],
});

describe('feedmesh feed', () => {
  let gateway: FakeGateway;
  before(async () => {
    gateway = await startFakeGateway();
    gateway.feedResponse = PAGE;
  });
  after(() => gateway.stop());

  it('prints the response as JSON that parses back to the same response with --json', async () => {
    const run = await runCliForTest(['feed', '--user', 'u42', '--json', '--addr', gateway.address]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    const parsed = gatewayv1.GetFeedResponse.fromJSON(JSON.parse(run.stdout));
    assert.deepEqual(parsed, PAGE);
  });

  it('asks for the surface, tag, page size and cursor given', async () => {
    const run = await runCliForTest([
      'feed',
      '--user',
      'u42',
      '--tag',
      '#sourdough',
      '--page-size',
      '5',
      '--cursor',
      'c1',
      '--addr',
      gateway.address,
    ]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.deepEqual(gateway.feedRequests.at(-1), {
      userId: 'u42',
      surface: commonv1.Surface.SURFACE_TAG,
      tag: 'sourdough',
      pageSize: 5,
      cursor: 'c1',
    });
  });

  it('reads the dashboard by default', async () => {
    await runCliForTest(['feed', '--user', 'u1', '--addr', gateway.address]);
    assert.equal(gateway.feedRequests.at(-1)?.surface, commonv1.Surface.SURFACE_DASHBOARD);
    assert.equal(gateway.feedRequests.at(-1)?.pageSize, 20);
  });

  it('prints a table, the request id, what degraded and the next page command', async () => {
    const run = await runCliForTest([
      'feed',
      '--user',
      'u42',
      '--surface',
      'for-you',
      '--addr',
      gateway.address,
    ]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.match(run.stdout, /u42 · for-you · 2 items · model feed@3/);
    assert.match(run.stdout, /request req-7f3a/);
    assert.match(run.stdout, /degraded: source:co-engagement: deadline exceeded; dropped/);
    assert.match(
      run.stdout,
      new RegExp(
        `next page: npm run feedmesh -- feed --user u42 --surface for-you --page-size 20 ` +
          `--addr ${gateway.address} --cursor c2:abc`,
      ),
    );
  });

  it('prints the gateway status and details, no stack, and exits 1 on a rejected request', async () => {
    gateway.feedError = new InvalidArgumentError(
      'user_id',
      'may contain only letters, digits and _ . : -',
    );
    try {
      const run = await runCliForTest(['feed', '--user', 'bad user!', '--addr', gateway.address]);
      assert.equal(run.code, EXIT_FAILED);
      assert.equal(
        run.stderr,
        'error: INVALID_ARGUMENT: user_id: may contain only letters, digits and _ . : -\n',
      );
      assert.equal(run.stdout, '');
    } finally {
      gateway.feedError = undefined;
    }
  });

  it('says to set FEEDMESH_TOKEN when the gateway wants a token', async () => {
    gateway.feedError = new ServerError(Status.UNAUTHENTICATED, 'a bearer token is required');
    try {
      const run = await runCliForTest(['feed', '--user', 'u1', '--addr', gateway.address]);
      assert.equal(run.code, EXIT_FAILED);
      assert.equal(
        run.stderr,
        'error: UNAUTHENTICATED: a bearer token is required\n' +
          'hint: the gateway wants a token: set FEEDMESH_TOKEN to one of its tokens ' +
          '(GATEWAY_AUTH_TOKENS on the gateway)\n',
      );
    } finally {
      gateway.feedError = undefined;
    }
  });

  it('sends FEEDMESH_TOKEN without the blanks around it (a trailing newline from a file)', async () => {
    const before = process.env['FEEDMESH_TOKEN'];
    process.env['FEEDMESH_TOKEN'] = ' tok-1234567890abcdef\n';
    try {
      const run = await runCliForTest(['feed', '--user', 'u1', '--addr', gateway.address]);
      assert.equal(run.code, EXIT_OK, run.stderr);
      assert.equal(gateway.feedAuthorizations.at(-1), 'Bearer tok-1234567890abcdef');
    } finally {
      if (before === undefined) delete process.env['FEEDMESH_TOKEN'];
      else process.env['FEEDMESH_TOKEN'] = before;
    }
  });

  describe('against a peer that accepts TCP but never speaks gRPC', () => {
    let peer: SilentPeer;
    let address: string;
    before(async () => {
      peer = await startSilentPeer();
      address = peer.address;
    });
    after(() => peer.stop());

    it('gives up within seconds, saying TCP answered and gRPC did not', async () => {
      const started = Date.now();
      const run = await runCliForTest(['feed', '--user', 'u1', '--addr', address]);
      assert.equal(run.code, EXIT_FAILED);
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
      assert.equal(
        run.stderr,
        `error: UNAVAILABLE: ${address} accepted a TCP connection but did not answer gRPC within 5 s\n` +
          "hint: something other than a gRPC server listens there; point --addr at the gateway's gRPC address\n",
      );
    });
  });
});

describe('renderFeed', () => {
  const text = renderFeed(
    PAGE,
    { userId: 'u42', surface: 'dashboard', pageSize: 20 },
    { color: false },
  );
  const rows = text.split('\n');

  it('has a header row with every column', () => {
    const header = rows.find((row) => row.includes('summary'));
    assert.ok(header, text);
    for (const column of ['#', 'post', 'blog', 'source', 'score', 'reason', 'tags', 'summary']) {
      assert.ok(header.includes(` ${column} `), `${column} in ${header}`);
    }
  });

  it('puts each item on one row, in order, with its score to three places', () => {
    const first = rows.findIndex((row) => row.includes('p101'));
    const second = rows.findIndex((row) => row.includes('p202'));
    assert.ok(first > 0 && second > first, text);
    const cells = rows[first]!.split('│').map((cell) => cell.trim());
    assert.deepEqual(cells.slice(1, 8), [
      '0',
      'p101',
      'b7',
      'following +1',
      '0.812',
      'because you follow @cozy-so…',
      '#baking #sourdough',
    ]);
    assert.match(rows[second]!, /fresh-creators/);
    assert.match(rows[second]!, /hello world/, 'newlines in a summary stay on one row');
  });

  it('cuts long summaries with an ellipsis', () => {
    const row = rows.find((r) => r.includes('p101'))!;
    assert.match(row, /Finally tried sourdough and I am never goin… │$/);
  });

  it('omits the next page when there is none and says when the page is empty', () => {
    const empty = gatewayv1.GetFeedResponse.fromPartial({ requestId: 'r0' });
    const out = renderFeed(
      empty,
      { userId: 'u1', surface: 'explore', pageSize: 20 },
      { color: false },
    );
    assert.match(out, /u1 · explore · 0 items · no model/);
    assert.match(out, /\(no items\)/);
    assert.doesNotMatch(out, /next page/);
  });

  it('says "1 item" of a page of one', () => {
    const one = gatewayv1.GetFeedResponse.fromPartial({ ...PAGE, items: PAGE.items.slice(0, 1) });
    const out = renderFeed(
      one,
      { userId: 'u1', surface: 'explore', pageSize: 20 },
      { color: false },
    );
    assert.match(out, /u1 · explore · 1 item · model feed@3/);
  });

  it('repeats the tag in the next page command of a tag page', () => {
    const out = renderFeed(
      PAGE,
      { userId: 'u1', surface: 'tag', tag: 'cats', pageSize: 5 },
      { color: false },
    );
    assert.match(out, /u1 · #cats/);
    assert.match(out, /feed --user u1 --surface tag --tag cats --page-size 5 --cursor c2:abc/);
  });
});
