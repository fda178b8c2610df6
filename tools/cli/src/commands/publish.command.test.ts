import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventsv1 } from '@feedmesh/contracts';
import { generateWorld } from '@feedmesh/world';
import { EXIT_FAILED, EXIT_OK } from '../cli-errors.js';
import { runCliForTest, startFakeGateway, type FakeGateway } from '../test-support/fake-gateway.js';

const NOW = Date.UTC(2025, 5, 1, 12);

describe('feedmesh publish', () => {
  let gateway: FakeGateway;
  let dir: string;
  const events = generateWorld({
    users: 40,
    blogs: 8,
    posts: 300,
    engagements: 500,
    now: NOW,
  }).events;
  const lines = events.map((e) => JSON.stringify(eventsv1.Event.toJSON(e)));

  before(async () => {
    gateway = await startFakeGateway();
    dir = await mkdtemp(join(tmpdir(), 'feedmesh-publish-'));
  });
  beforeEach(() => {
    gateway.batches.length = 0;
    gateway.rejectEventId = undefined;
  });
  after(async () => {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const file = async (name: string, content: string) => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  it('publishes every event, in order, in batches of --batch, and reports the rate', async () => {
    const path = await file('ok.jsonl', `${lines.join('\n')}\n`);
    const run = await runCliForTest(['publish', path, '--batch', '100', '--addr', gateway.address]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.deepEqual(gateway.batches.flat(), events);
    assert.equal(gateway.batches.length, Math.ceil(events.length / 100));
    assert.ok(gateway.batches.slice(0, -1).every((batch) => batch.length === 100));
    assert.match(
      run.stderr,
      new RegExp(
        `published ${events.length.toLocaleString('en-US')} events in ${gateway.batches.length} batches to ${gateway.address} in [\\d.]+ s \\([\\d,]+ events/s\\)`,
      ),
    );
  });

  it('reports a line that is not JSON by its line number, after what came before it', async () => {
    const broken = [...lines.slice(0, 250), '{"eventId": "x1", "atMs": ', ...lines.slice(250)];
    const path = await file('bad-json.jsonl', broken.join('\n'));
    const run = await runCliForTest(['publish', path, '--batch', '100', '--addr', gateway.address]);
    assert.equal(run.code, EXIT_FAILED);
    assert.match(run.stderr, /^error: line 251: not JSON \(/);
    assert.match(run.stderr, /hint: published 200 events \(through line 200\) before it/);
    assert.deepEqual(gateway.batches.flat(), events.slice(0, 200));
  });

  it('reports an object that is not an event by its line number', async () => {
    const cases: [string, RegExp][] = [
      ['[1, 2]', /line 3: expected a JSON object, got an array/],
      ['{"eventId": "e1", "atMs": 5}', /line 3: no payload: expected one of postCreated, /],
      [
        '{"eventId": "e1", "follow": {}, "block": {}}',
        /line 3: more than one payload \(follow, block\)/,
      ],
      ['{"eventId": "e1", "folow": {"userId": "u1"}}', /line 3: unknown field "folow"/],
      ['{"eventId": "e1", "atMs": "soon", "follow": {}}', /line 3: atMs must be an integer/],
      [
        '{"eventId": "e1", "engagement": {"userId": "u1", "postId": "p1", "kind": "LIKE"}}',
        /line 3: engagement\.kind: unknown value "LIKE"; expected one of ENGAGEMENT_KIND_LIKE, ENGAGEMENT_KIND_REBLOG, /,
      ],
      [
        '{"eventId": "e1", "post_created": {"post_id": "p1", "media_kind": 9}}',
        /line 3: post_created\.media_kind: unknown value 9; expected one of MEDIA_KIND_TEXT, /,
      ],
      [
        '{"eventId": "e1", "engagement": {"userId": "u1", "kind": "ENGAGEMENT_KIND_LIKE", "bogus": 1}}',
        /line 3: unknown field "engagement\.bogus"/,
      ],
      [
        '{"eventId": "e1", "impression": {"userId": "u1", "experiments": [{"experiment": "x", "varient": "a"}]}}',
        /line 3: unknown field "impression\.experiments\[0\]\.varient"/,
      ],
    ];
    for (const [bad, message] of cases) {
      const path = await file('bad-event.jsonl', [lines[0], '', bad, lines[1]].join('\n'));
      const run = await runCliForTest(['publish', path, '--addr', gateway.address]);
      assert.equal(run.code, EXIT_FAILED, bad);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /hint: nothing was published; fix it and publish again/);
    }
    assert.equal(gateway.batches.length, 0);
  });

  it("turns the gateway's rejection of a batch into the line it means", async () => {
    gateway.rejectEventId = events[123]!.eventId;
    const path = await file('rejected.jsonl', lines.join('\n'));
    const run = await runCliForTest(['publish', path, '--batch', '50', '--addr', gateway.address]);
    assert.equal(run.code, EXIT_FAILED);
    assert.match(
      run.stderr,
      /^error: line 124: INVALID_ARGUMENT: events\[23\]\.event_id: rejected by the test\n/,
    );
    assert.match(
      run.stderr,
      /the gateway rejected the batch of lines 101-150 whole; published 100 events \(through line 100\) before it/,
    );
    assert.equal(gateway.batches.flat().length, 100);
  });

  it('passes a number field holding -1 and fields spelt in snake case to the gateway', async () => {
    const impression =
      '{"eventId": "e1", "atMs": 5, "impression": {"user_id": "u1", "postId": "p1", "score": -1, ' +
      '"surface": "SURFACE_FOR_YOU", "experiments": [{"experiment": "x", "variant": "a"}]}}';
    const run = await runCliForTest(['publish', '-', '--addr', gateway.address], {
      stdin: impression,
    });
    assert.equal(run.code, EXIT_OK, run.stderr);
    const published = gateway.batches.flat()[0]?.payload;
    assert.equal(published?.$case, 'impression');
    assert.equal(published.value.score, -1);
    assert.equal(published.value.userId, 'u1');
  });

  it('reads events from stdin with -', async () => {
    const run = await runCliForTest(['publish', '-', '--addr', gateway.address, '--json'], {
      stdin: lines.slice(0, 30).join('\n'),
    });
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.deepEqual(gateway.batches.flat(), events.slice(0, 30));
    const summary = JSON.parse(run.stdout) as { published: number; batches: number };
    assert.equal(summary.published, 30);
    assert.equal(summary.batches, 1);
  });

  it('says 0 events published and exits 0 for an empty input when the gateway answers', async () => {
    gateway.listRequests.length = 0;
    const path = await file('empty.jsonl', '\n\n');
    const run = await runCliForTest(['publish', path, '--addr', gateway.address]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.match(run.stderr, new RegExp(`0 events published to ${gateway.address}: `));
    assert.equal(gateway.batches.length, 0);
    assert.equal(gateway.listRequests.length, 1, 'asked the gateway once, changing nothing');
  });

  it('exits 1 naming the address when nothing listens at --addr, even with nothing to publish', async () => {
    const closed = await closedPort();
    for (const [input, stdin] of [
      [await file('nothing.jsonl', ''), undefined],
      ['-', ''],
    ] as const) {
      const run = await runCliForTest(['publish', input, '--addr', closed], {
        ...(stdin === undefined ? {} : { stdin }),
      });
      assert.equal(run.code, EXIT_FAILED, run.stderr);
      assert.match(run.stderr, /^error: UNAVAILABLE: /);
      assert.match(run.stderr, new RegExp(`hint: nothing answers at ${closed}`));
      assert.doesNotMatch(run.stderr, /published/);
    }
  });

  it('says so when the file cannot be read', async () => {
    const run = await runCliForTest([
      'publish',
      join(dir, 'missing.jsonl'),
      '--addr',
      gateway.address,
    ]);
    assert.equal(run.code, EXIT_FAILED);
    assert.match(run.stderr, /error: cannot read .*missing\.jsonl: ENOENT/);
  });

  it('names a directory given as the file', async () => {
    const run = await runCliForTest(['publish', dir, '--addr', gateway.address]);
    assert.equal(run.code, EXIT_FAILED);
    assert.equal(run.stderr, `error: cannot read ${dir}: not a file\n`);
    assert.equal(gateway.batches.length, 0);
  });
});

/** An address on 127.0.0.1 that nothing listens on: a port the system gave out, then closed. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}
