import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { getHeapStatistics } from 'node:v8';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventsv1 } from '@feedmesh/contracts';
import { generateWorld } from '@feedmesh/world';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../cli-errors.js';
import { runCliForTest, startCliForTest } from '../test-support/fake-gateway.js';

describe('feedmesh world', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedmesh-world-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const size = ['--users', '30', '--blogs', '8', '--posts', '120', '--engagements', '300'];

  it('writes the world as JSON lines that read back as the same events', async () => {
    const out = join(dir, 'world.jsonl');
    const run = await runCliForTest([
      'world',
      ...size,
      '--seed',
      '5',
      '--now',
      '2025-06-01T12:00:00Z',
      '--out',
      out,
    ]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    const expected = generateWorld({
      users: 30,
      blogs: 8,
      posts: 120,
      engagements: 300,
      seed: 5,
      now: Date.UTC(2025, 5, 1, 12),
    });
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    assert.deepEqual(
      lines.map((line) => eventsv1.Event.fromJSON(JSON.parse(line))),
      expected.events,
    );
    assert.match(
      run.stderr,
      new RegExp(
        `wrote ${expected.events.length} events \\(seed 5: 30 users, 8 blogs, 120 posts\\) to ${out}`,
      ),
    );
  });

  it('writes to stdout without --out, the same bytes for the same seed and now', async () => {
    const argv = ['world', ...size, '--now', '1748779200000'];
    const first = await runCliForTest(argv);
    const second = await runCliForTest(argv);
    assert.equal(first.code, EXIT_OK);
    assert.ok(first.stdout.length > 10_000);
    assert.equal(second.stdout, first.stdout);
    const other = await runCliForTest([...argv, '--seed', '2']);
    assert.notEqual(other.stdout, first.stdout);
  });

  it('makes a short world with --days', async () => {
    const now = 1748779200000;
    const run = await runCliForTest(['world', ...size, '--days', '3', '--now', String(now)]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    const events = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => eventsv1.Event.fromJSON(JSON.parse(l)));
    const activity = events.filter(
      (e) => e.payload?.$case === 'postCreated' || e.payload?.$case === 'sessionStarted',
    );
    assert.ok(activity.length > 120);
    assert.ok(activity.every((e) => e.atMs >= now - 3 * 86_400_000 && e.atMs < now));
  });

  it('refuses a --now before 2000, whose oldest events would be before the epoch', async () => {
    const run = await runCliForTest(['world', ...size, '--now', '1']);
    assert.equal(run.code, EXIT_USAGE);
    assert.match(
      run.stderr,
      /'--now <time>' argument '1' is invalid\. expected 2000-01-01T00:00:00\.000Z or later/,
    );
    assert.equal(run.stdout, '');
  });

  it('from the earliest --now, writes only events after the epoch', async () => {
    const run = await runCliForTest(['world', ...size, '--now', '2000-01-01T00:00:00Z']);
    assert.equal(run.code, EXIT_OK, run.stderr);
    const events = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => eventsv1.Event.fromJSON(JSON.parse(l)));
    assert.ok(events.length > 120);
    assert.deepEqual(
      events.filter((e) => e.atMs <= 0),
      [],
    );
  });

  for (const where of ['stdout', '--out'] as const) {
    it(`stops at the first interrupt writing to ${where}, saying the output is partial`, async () => {
      const out = join(dir, 'interrupted.jsonl');
      const interrupt = new AbortController();
      const running = startCliForTest(
        ['world', '--now', '1748779200000', ...(where === '--out' ? ['--out', out] : [])],
        { interrupt: interrupt.signal },
      );
      // Ctrl-C arrives as a signal, between turns of the event loop: so does this.
      const started = setInterval(() => interrupt.abort(), 20);
      const run = await running.finished.finally(() => clearInterval(started));
      assert.equal(run.code, EXIT_FAILED, run.stderr);
      const target = where === '--out' ? out : 'stdout';
      assert.match(
        run.stderr,
        new RegExp(
          `error: interrupted; wrote [\\d,]+ events to ${target} before it, so it holds only the start of the world`,
        ),
      );
      const text = where === '--out' ? await readFile(out, 'utf8') : run.stdout;
      const lines = text.trimEnd().split('\n');
      const whole = generateWorld({ now: 1748779200000 }).events.length;
      assert.ok(lines.length < whole / 2, `${lines.length} of ${whole} events written`);
      // Whole lines only: the last one parses.
      assert.ok(eventsv1.Event.fromJSON(JSON.parse(lines[lines.length - 1]!)).eventId);
    });
  }

  it('refuses an --out in a folder that does not exist before building the world, naming --out', async () => {
    const run = await runCliForTest(['world', ...size, '--out', join(dir, 'missing', 'w.jsonl')]);
    assert.equal(run.code, EXIT_USAGE, run.stderr);
    assert.match(run.stderr, /'--out <file>' argument '.*w\.jsonl' is invalid\. no such directory/);
    assert.doesNotMatch(run.stderr, /ENOENT/);
  });

  it('refuses an --out that is a folder, naming --out', async () => {
    const run = await runCliForTest(['world', ...size, '--out', dir]);
    assert.equal(run.code, EXIT_USAGE, run.stderr);
    assert.match(
      run.stderr,
      /'--out <file>' argument .* is invalid\. expected a file to write, not a directory/,
    );
  });

  it('refuses sizes out of range as a usage error', async () => {
    const run = await runCliForTest(['world', '--users', '0']);
    assert.equal(run.code, EXIT_USAGE);
    assert.match(run.stderr, /'--users <n>' argument '0' is invalid/);
  });

  it('refuses a world too large for the heap before building any of it, naming the options', async function () {
    // 10,000,000 users and 1,000,000 blogs, the largest the options take: about 6.1 GB kept.
    if (getHeapStatistics().heap_size_limit >= 12e9) this.skip();
    const out = join(dir, 'never.jsonl');
    const run = await runCliForTest([
      'world',
      '--users',
      '10000000',
      '--blogs',
      '1000000',
      '--out',
      out,
    ]);
    assert.equal(run.code, EXIT_FAILED, run.stderr);
    assert.match(
      run.stderr,
      /error: --users 10000000 --blogs 1000000: 10,000,000 users and 1,000,000 blogs keep about 6\.1 GB of heap while the world is generated, and peak near twice that; this process may use [\d.]+ GB\n/,
    );
    assert.match(
      run.stderr,
      /hint: lower --users or --blogs, or raise the heap limit: NODE_OPTIONS=--max-old-space-size=15250\n/,
    );
    await assert.rejects(access(out), 'refused before the output was opened');
  });
});
