import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { NotificationKeys } from './redis-keys.js';
import { RedisLiveFeed } from './redis-live-feed.js';
import { silentLogger } from './test-fixtures/harness.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';

const nextRedis = sharedTestRedis('notification-live-feed');

describe('RedisLiveFeed', () => {
  it('hears a delivery to a stream that started listening while its connection was still getting ready', async () => {
    for (let round = 0; round < 10; round++) {
      const { redis, prefix } = nextRedis();
      await redis.ping();
      const feed = new RedisLiveFeed(redis, new NotificationKeys(prefix), silentLogger);
      // The subscriber connection's state, peeked at: 'connect' is the moment that lost
      // subscriptions (TCP up, ready check running).
      const subscriber = (feed as unknown as { readonly subscriber: Redis }).subscriber;
      while (subscriber.status !== 'connect' && subscriber.status !== 'ready') {
        await new Promise((resolve) => setImmediate(resolve));
      }
      let heard = 0;
      const stop = await feed.listen('u1', () => {
        heard += 1;
      });
      await feed.publish('u1');
      const deadline = Date.now() + 2_000;
      while (heard === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await stop();
      await feed.close();
      assert.equal(heard, 1, `round ${round}`);
    }
  });
});
