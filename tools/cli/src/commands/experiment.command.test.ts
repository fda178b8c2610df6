import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commonv1, eventsv1 } from '@feedmesh/contracts';
import { assign, parseExperimentsConfig } from '@feedmesh/experiments';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../cli-errors.js';
import { runCliForTest } from '../test-support/fake-gateway.js';

const CONFIG = `
layers:
  - id: feed
    experiments:
      - key: more-likes
        variants:
          - { name: control, weight: 0.5 }
          - { name: treatment, weight: 0.5, overrides: { mixer: { newCreatorShare: 0.2 } } }
`;
const START = Date.UTC(2026, 10, 1);
const HOUR = 3_600_000;

/**
 * 400 readers, each served a page on day one; in control they like 1 or 2 of its 5 posts,
 * in treatment 2 or 3 (every other reader one more), so the treatment likes more.
 */
function experimentLog(): eventsv1.Event[] {
  const config = parseExperimentsConfig(CONFIG);
  const events: eventsv1.Event[] = [];
  for (let n = 0; n < 400; n++) {
    const userId = `u${n}`;
    const [assignment] = assign(userId, config);
    const at = START + (n % 24) * HOUR;
    events.push({
      eventId: `s${n}`,
      atMs: at,
      payload: { $case: 'sessionStarted', value: { userId } },
    });
    for (let position = 0; position < 5; position++) {
      const postId = `p${(n * 7 + position) % 50}`;
      events.push({
        eventId: `i${n}-${position}`,
        atMs: at + position,
        payload: {
          $case: 'impression',
          value: {
            ...eventsv1.Impression.fromPartial({ userId, postId, position }),
            requestId: `r${n}`,
            surface: commonv1.Surface.SURFACE_DASHBOARD,
            experiments: [{ experiment: 'more-likes', variant: assignment!.variant }],
          },
        },
      });
      const liked = (assignment!.variant === 'treatment' ? 2 : 1) + (n % 2);
      const likes = position < liked;
      if (likes) {
        events.push({
          eventId: `l${n}-${position}`,
          atMs: at + 100 + position,
          payload: {
            $case: 'engagement',
            value: { userId, postId, kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
          },
        });
      }
    }
  }
  return events;
}

describe('feedmesh experiment report', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedmesh-report-'));
    await writeFile(join(dir, 'experiments.yaml'), CONFIG);
    const lines = experimentLog().map((event) => JSON.stringify(eventsv1.Event.toJSON(event)));
    await writeFile(join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const report = (...extra: string[]) =>
    runCliForTest([
      'experiment',
      'report',
      'more-likes',
      '--config',
      join(dir, 'experiments.yaml'),
      '--events',
      join(dir, 'events.jsonl'),
      ...extra,
    ]);

  it('finds the variant that engages more, significant, with no sample ratio mismatch', async () => {
    const run = await report('--json');
    assert.equal(run.code, EXIT_OK, run.stderr);
    const parsed = JSON.parse(run.stdout) as {
      srm: { mismatch: boolean };
      variants: { variant: string; users: number }[];
      metrics: {
        id: string;
        comparisons: { variant: string; difference: number; significant: boolean }[];
      }[];
    };
    assert.equal(parsed.srm.mismatch, false);
    assert.equal(
      parsed.variants.reduce((sum, v) => sum + v.users, 0),
      400,
    );
    const engaged = parsed.metrics.find((m) => m.id.includes('engagement'));
    assert.ok(engaged, parsed.metrics.map((m) => m.id).join(', '));
    const [comparison] = engaged.comparisons;
    assert.equal(comparison?.variant, 'treatment');
    assert.ok((comparison?.difference ?? 0) > 0);
    assert.equal(comparison?.significant, true);
  });

  it('writes the HTML report beside a readable summary', async () => {
    const html = join(dir, 'report.html');
    const run = await report('--html', html);
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.match(run.stdout, /experiment more-likes: control \d+ users/);
    assert.match(run.stdout, /HTML report written to/);
    const page = await readFile(html, 'utf8');
    assert.match(page, /<svg/);
    assert.match(page, /more-likes/);
  });

  it('prints the lift with its interval beside the difference, and a dash where control has none', async () => {
    const json = await report('--json');
    const parsed = JSON.parse(json.stdout) as {
      metrics: {
        id: string;
        name: string;
        comparisons: { relativeDifference: number; relativeCi: [number, number] | null }[];
      }[];
    };
    const run = await report();
    assert.equal(run.code, EXIT_OK, run.stderr);
    const line = (name: string) => run.stdout.split('\n').find((l) => l.startsWith(name)) ?? '';
    const engaged = parsed.metrics.find((m) => m.id === 'engagements_per_user');
    const lift = engaged?.comparisons[0];
    assert.ok(engaged && lift?.relativeCi, json.stdout);
    const pct = (v: number) => `${v > 0 ? '+' : '-'}${(Math.abs(v) * 100).toFixed(1)}%`;
    const literal = (text: string) => text.replace(/[+.[\]]/g, '\\$&');
    const [low, high] = lift.relativeCi;
    // "Engagement per user  treatment vs control: +1.08 [0.977, 1.17] lift +67.8% [...] p = ..."
    assert.match(
      line(engaged.name),
      new RegExp(
        'treatment vs control: \\+[\\d.]+ \\[[\\d.]+, [\\d.]+\\] ' +
          literal(`lift ${pct(lift.relativeDifference)} [${pct(low)}, ${pct(high)}] p = `),
      ),
    );
    assert.ok(lift.relativeCi[0] > 0.4 && lift.relativeCi[1] < 1, `${lift.relativeCi}`);
    // Nobody reblogs or hides: control's value is 0, so there is no lift, only a dash.
    const hides = parsed.metrics.find((m) => m.id === 'hides_per_user');
    assert.ok(hides);
    assert.equal(hides.comparisons[0]?.relativeCi, null);
    assert.match(
      line(hides.name),
      /treatment vs control: \+0\.00 \[0\.00, 0\.00\] lift – p = 1\.00$/,
    );
    const reblogs = parsed.metrics.find((m) => m.id === 'reblog_rate');
    assert.ok(reblogs);
    assert.match(line(reblogs.name), / lift – p = /);
  });

  it('under a sample ratio mismatch, says so first and calls no variant better or worse', async () => {
    // Two control readers in three lost their events: the split is no longer the config's.
    const config = parseExperimentsConfig(CONFIG);
    const kept = experimentLog().filter((event) => {
      const userId =
        event.payload?.$case === 'sessionStarted' || event.payload?.$case === 'impression'
          ? event.payload.value.userId
          : event.payload?.$case === 'engagement'
            ? event.payload.value.userId
            : '';
      const [assignment] = assign(userId, config);
      return assignment?.variant !== 'control' || Number(userId.slice(1)) % 3 === 0;
    });
    const lines = kept.map((event) => JSON.stringify(eventsv1.Event.toJSON(event)));
    await writeFile(join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
    const json = await report('--json');
    assert.equal((JSON.parse(json.stdout) as { srm: { mismatch: boolean } }).srm.mismatch, true);
    const run = await report();
    assert.equal(run.code, EXIT_OK, run.stderr);
    const [, warning] = run.stdout.split('\n');
    assert.match(warning ?? '', /^sample ratio mismatch: .*do not trust/);
    assert.doesNotMatch(run.stdout, /\b(better|worse)$/m);
  });

  it('exits 1 naming an experiment the config does not have', async () => {
    const run = await runCliForTest([
      'experiment',
      'report',
      'nope',
      '--config',
      join(dir, 'experiments.yaml'),
      '--events',
      join(dir, 'events.jsonl'),
    ]);
    assert.equal(run.code, EXIT_FAILED);
    assert.match(run.stderr, /no experiment "nope" in the config/);
  });

  it('says that no event log was given, not that nobody was exposed, without --events or REDIS_URL', async () => {
    const run = await runCliForTest(
      ['experiment', 'report', 'more-likes', '--config', join(dir, 'experiments.yaml')],
      { env: {} },
    );
    assert.equal(run.code, EXIT_FAILED);
    assert.equal(
      run.stderr,
      'error: experiment report reads the deployment’s event log: set REDIS_URL (and ' +
        'REDIS_PREFIX), or pass --events FILE\n',
    );
  });

  it('says in one line that it cannot reach REDIS_URL', async () => {
    const run = await runCliForTest(
      ['experiment', 'report', 'more-likes', '--config', join(dir, 'experiments.yaml')],
      { env: { REDIS_URL: 'redis://127.0.0.1:1' } },
    );
    assert.equal(run.code, EXIT_FAILED);
    assert.equal(
      run.stderr,
      'error: redis: cannot reach redis://127.0.0.1:1 (REDIS_URL): ECONNREFUSED\n',
    );
  });

  it('exits 2 naming --config when the config file does not exist', async () => {
    const run = await runCliForTest([
      'experiment',
      'report',
      'more-likes',
      '--config',
      join(dir, 'nope.yaml'),
      '--events',
      join(dir, 'events.jsonl'),
    ]);
    assert.equal(run.code, EXIT_USAGE, run.stderr);
    assert.match(run.stderr, /'--config <file>' argument '.*nope\.yaml' is invalid\. no such file/);
  });

  it('exits 2 naming --events when the events file does not exist', async () => {
    const run = await runCliForTest([
      'experiment',
      'report',
      'more-likes',
      '--config',
      join(dir, 'experiments.yaml'),
      '--events',
      join(dir, 'nope.jsonl'),
    ]);
    assert.equal(run.code, EXIT_USAGE, run.stderr);
    assert.match(
      run.stderr,
      /'--events <file\.jsonl>' argument '.*nope\.jsonl' is invalid\. no such file/,
    );
  });

  it('exits 2 naming --html when its folder does not exist, before reading the log', async () => {
    const run = await report('--html', join(dir, 'missing', 'report.html'));
    assert.equal(run.code, EXIT_USAGE, run.stderr);
    assert.match(
      run.stderr,
      /'--html <file>' argument '.*report\.html' is invalid\. no such directory/,
    );
    assert.equal(run.stdout, '');
  });

  it('exits 2 naming --start and --end when the window they give is empty', async () => {
    const run = await report('--start', '2026-11-02', '--end', '2026-11-01');
    assert.equal(run.code, EXIT_USAGE);
    assert.match(
      run.stderr,
      /^error: --start \(2026-11-02T00:00:00\.000Z\) must be before --end \(2026-11-01T00:00:00\.000Z\)\n/,
    );
  });

  it('names --start when it comes after the last event in the log', async () => {
    const run = await report('--start', '2026-11-03');
    assert.equal(run.code, EXIT_FAILED);
    assert.equal(
      run.stderr,
      'error: --start: 2026-11-03T00:00:00.000Z is not before the end of the log ' +
        '(2026-11-01T23:00:00.103Z): the window is empty\n',
    );
  });
});
