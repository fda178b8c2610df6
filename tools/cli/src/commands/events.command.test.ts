import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { RedisStreamsEventLog } from '@feedmesh/events';
import { testRedis, testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import { EXIT_FAILED, EXIT_OK } from '../cli-errors.js';
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
        /^like-2 \(engagement, partition \d, entry \S+\) by picky-1 after 1 deliveries: cannot apply like-2$/m,
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
