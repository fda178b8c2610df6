import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { RedisStreamsEventLog } from '@feedmesh/events';
import { testRedis, testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../cli-errors.js';
import { runCliForTest } from '../test-support/fake-gateway.js';

function like(n: number): eventsv1.Event {
  return {
    eventId: `like-${n}`,
    atMs: 1_700_000_000_000 + n,
    payload: {
      $case: 'engagement',
      value: { userId: 'u1', postId: `p${n}`, kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
    },
  };
}

describe('feedmesh events (the deployment’s event log, for an operator)', function () {
  this.timeout(30_000);

  it('lists each group with its lag, its consumers and its dead letters, and shows what it gave up on', async function () {
    const prefix = uniquePrefix('events-command');
    const redis = testRedis(prefix);
    const log = new RedisStreamsEventLog({ url: testRedisUrl(), prefix: `${prefix}:events` });
    try {
      await log.append([like(1), like(2), like(3)]);
      const rejecting = await log.consume({
        group: 'picky',
        consumer: 'picky-1',
        maxDeliveries: 1,
        handler: async (event) => {
          if (event.eventId === 'like-2') throw new Error('cannot apply like-2');
        },
      });
      await waitFor('picky dead-lettered like-2', () => rejecting.stats().deadLettered === 1);
      const env = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix };

      const status = await runCliForTest(['events', 'groups'], { env });
      assert.equal(status.code, EXIT_OK, status.stderr);
      assert.match(status.stdout, /^picky: 0 undelivered, 0 pending, 1 dead-lettered$/m);
      assert.match(status.stdout, /^ {2}picky-1 {2}0 pending {2}alive$/m);

      const json = await runCliForTest(['events', 'groups', '--json'], { env });
      assert.deepEqual(JSON.parse(json.stdout), [
        {
          group: 'picky',
          undelivered: 0,
          pending: 0,
          deadLetters: 1,
          consumers: [{ name: 'picky-1', pending: 0, heartbeat: 'alive' }],
        },
      ]);

      const letters = await runCliForTest(['events', 'dead-letters', 'picky'], { env });
      assert.equal(letters.code, EXIT_OK, letters.stderr);
      assert.match(
        letters.stdout,
        /^\d+-\d+ {2}like-2 \(engagement, partition \d, entry \S+\) by picky-1 after 1 deliveries: cannot apply like-2$/m,
      );
      const lettersJson = JSON.parse(
        (await runCliForTest(['events', 'dead-letters', 'picky', '--json'], { env })).stdout,
      ) as { eventId: string; event: { eventId: string } }[];
      assert.deepEqual(
        lettersJson.map(({ eventId, event }) => [eventId, event.eventId]),
        [['like-2', 'like-2']],
      );
    } finally {
      await log.close();
      await redis.cleanup();
    }
  });

  it('pages through the dead letters with --after, oldest first, each once, printing the next page’s command', async function () {
    const prefix = uniquePrefix('events-command');
    const redis = testRedis(prefix);
    const log = new RedisStreamsEventLog({ url: testRedisUrl(), prefix: `${prefix}:events` });
    try {
      await log.append([like(1), like(2), like(3)]);
      const rejecting = await log.consume({
        group: 'picky',
        consumer: 'picky-1',
        maxDeliveries: 1,
        handler: async (event) => {
          throw new Error(`cannot apply ${event.eventId}`);
        },
      });
      await waitFor('picky dead-lettered all three', () => rejecting.stats().deadLettered === 3);
      const env = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix };
      const ids = (await log.deadLetters('picky')).map((letter) => letter.id);

      const first = await runCliForTest(['events', 'dead-letters', 'picky', '--limit', '2'], {
        env,
      });
      assert.equal(first.code, EXIT_OK, first.stderr);
      const lines = first.stdout.trimEnd().split('\n');
      assert.deepEqual(
        lines.slice(0, 2).map((line) => line.split('  ')[0]),
        ids.slice(0, 2),
      );
      assert.equal(
        lines[2],
        `next page: npm run feedmesh -- events dead-letters picky --limit 2 --after ${ids[1]}`,
      );

      const second = await runCliForTest(
        ['events', 'dead-letters', 'picky', '--limit', '2', '--after', ids[1]!, '--json'],
        { env },
      );
      assert.equal(second.code, EXIT_OK, second.stderr);
      assert.deepEqual(
        (JSON.parse(second.stdout) as { id: string }[]).map((letter) => letter.id),
        [ids[2]],
      );
      const past = await runCliForTest(['events', 'dead-letters', 'picky', '--after', ids[2]!], {
        env,
      });
      assert.equal(past.stdout, `picky dead-lettered nothing after ${ids[2]}\n`);

      const bad = await runCliForTest(['events', 'dead-letters', 'picky', '--after', 'last'], {
        env,
      });
      assert.equal(bad.code, EXIT_USAGE);
      assert.match(bad.stderr, /^error: --after: "last" is not a dead-letter id/);
    } finally {
      await log.close();
      await redis.cleanup();
    }
  });

  it('redrives a dead letter to its own group only once the bug is fixed, and refuses it a second time', async function () {
    const prefix = uniquePrefix('events-command');
    const redis = testRedis(prefix);
    const log = new RedisStreamsEventLog({ url: testRedisUrl(), prefix: `${prefix}:events` });
    try {
      let fixed = false;
      const pickyApplied: string[] = [];
      const steadyApplied: string[] = [];
      await log.consume({
        group: 'picky',
        consumer: 'picky-1',
        maxDeliveries: 1,
        handler: async (event) => {
          if (event.eventId === 'like-2' && !fixed) throw new Error('cannot apply like-2');
          pickyApplied.push(event.eventId);
        },
      });
      await log.consume({
        group: 'steady',
        consumer: 'steady-1',
        handler: async (event) => {
          steadyApplied.push(event.eventId);
        },
      });
      await log.append([like(1), like(2), like(3)]);
      await waitFor(
        'picky dead-lettered like-2 and steady applied all three',
        async () => (await log.deadLetters('picky')).length === 1 && steadyApplied.length === 3,
      );
      const [letter] = await log.deadLetters('picky');
      const env = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix };

      const dry = await runCliForTest(['events', 'redrive', 'picky', '--all', '--dry-run'], {
        env,
      });
      assert.equal(dry.code, EXIT_OK, dry.stderr);
      assert.match(
        dry.stdout,
        /^would redrive 1 dead letter to picky \(dry run: nothing changed\):\n\S+ {2}like-2 /,
      );
      assert.equal((await log.deadLetters('picky')).length, 1, 'a dry run changes nothing');

      fixed = true;
      const run = await runCliForTest(
        ['events', 'redrive', 'picky', '--id', letter!.id, '--json'],
        {
          env,
        },
      );
      assert.equal(run.code, EXIT_OK, run.stderr);
      assert.deepEqual(
        (JSON.parse(run.stdout) as { id: string; eventId: string }[]).map((redriven) => [
          redriven.id,
          redriven.eventId,
        ]),
        [[letter!.id, 'like-2']],
      );
      await waitFor('picky applies the redriven like-2', () => pickyApplied.includes('like-2'));
      await waitFor('picky has nothing left', async () => {
        const lag = await log.lag('picky');
        return lag.undelivered === 0 && lag.pending === 0;
      });
      assert.deepEqual(steadyApplied.sort(), ['like-1', 'like-2', 'like-3'], 'steady saw it once');
      assert.deepEqual(await log.deadLetters('picky'), []);

      const again = await runCliForTest(['events', 'redrive', 'picky', '--id', letter!.id], {
        env,
      });
      assert.equal(again.code, EXIT_FAILED);
      assert.equal(
        again.stderr,
        `error: --id ${letter!.id}: not among the dead letters of picky (never were, or redriven already); nothing was redriven\n` +
          'hint: list them with: npm run feedmesh -- events dead-letters picky\n',
      );
      const none = await runCliForTest(['events', 'redrive', 'picky', '--all'], { env });
      assert.equal(none.code, EXIT_OK, none.stderr);
      assert.equal(none.stdout, 'picky has no dead letters to redrive\n');
    } finally {
      await log.close();
      await redis.cleanup();
    }
  });

  it('wants exactly one of --all and --id, and a group that reads the log', async function () {
    const prefix = uniquePrefix('events-command');
    const redis = testRedis(prefix);
    const log = new RedisStreamsEventLog({ url: testRedisUrl(), prefix: `${prefix}:events` });
    try {
      await log.consume({ group: 'picky', consumer: 'picky-1', handler: async () => undefined });
      const env = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix };
      for (const args of [[], ['--all', '--id', '1-0']]) {
        const run = await runCliForTest(['events', 'redrive', 'picky', ...args], { env });
        assert.equal(run.code, EXIT_USAGE, args.join(' '));
        assert.match(run.stderr, /^error: events redrive takes either --all or one or more --id/);
      }
      const typo = await runCliForTest(['events', 'redrive', 'pciky', '--all'], { env });
      assert.equal(typo.code, EXIT_FAILED);
      assert.equal(
        typo.stderr,
        'error: no consumer group "pciky" reads this log; its groups: picky\n',
      );
    } finally {
      await log.close();
      await redis.cleanup();
    }
  });

  it('refuses a group that does not read the log, naming the groups that do, rather than an all-clear', async function () {
    const prefix = uniquePrefix('events-command');
    const redis = testRedis(prefix);
    const log = new RedisStreamsEventLog({ url: testRedisUrl(), prefix: `${prefix}:events` });
    try {
      await log.append([like(1)]);
      const consumer = await log.consume({
        group: 'feature-store',
        consumer: 'feature-store-1',
        handler: async () => undefined,
      });
      await waitFor('feature-store read like-1', () => consumer.stats().processed === 1);
      const env = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix };

      const typo = await runCliForTest(['events', 'dead-letters', 'feature_store'], { env });
      assert.equal(typo.code, EXIT_FAILED);
      assert.equal(
        typo.stderr,
        'error: no consumer group "feature_store" reads this log; its groups: feature-store\n',
      );

      const real = await runCliForTest(['events', 'dead-letters', 'feature-store'], { env });
      assert.equal(real.code, EXIT_OK, real.stderr);
      assert.equal(real.stdout, 'feature-store dead-lettered nothing\n');
    } finally {
      await log.close();
      await redis.cleanup();
    }
  });

  it('says in one line that it cannot reach REDIS_URL, without retrying', async function () {
    const run = await runCliForTest(['events', 'groups'], {
      env: { REDIS_URL: 'redis://127.0.0.1:1' },
    });
    assert.equal(run.code, EXIT_FAILED);
    assert.equal(
      run.stderr,
      'error: redis: cannot reach redis://127.0.0.1:1 (REDIS_URL): ECONNREFUSED\n',
    );
  });

  it('says it needs REDIS_URL rather than showing an empty in-memory log', async function () {
    const run = await runCliForTest(['events', 'groups'], { env: {} });
    assert.equal(run.code, EXIT_FAILED);
    assert.match(run.stderr, /set REDIS_URL/);
  });
});
