import { Redis } from 'ioredis';
import { describeEventLogContract } from './event-log.contract.js';
import { InMemoryEventLog } from './in-memory-event-log.js';
import { RedisStreamsEventLog } from './redis-streams-event-log.js';
import { deleteKeys, redisUrl, uniquePrefix } from './test-fixtures/redis.js';

describeEventLogContract('InMemoryEventLog', async (options) => {
  const log = new InMemoryEventLog(options);
  return { log, dispose: () => log.close() };
});

describe('with Redis at REDIS_URL', function () {
  let admin: Redis;

  before(function () {
    admin = new Redis(redisUrl);
  });

  after(async function () {
    await admin.quit();
  });

  describeEventLogContract('RedisStreamsEventLog', async (options) => {
    const prefix = uniquePrefix();
    const log = new RedisStreamsEventLog({ ...options, url: redisUrl, prefix });
    return {
      log,
      dispose: async () => {
        await log.close();
        await deleteKeys(admin, prefix);
      },
    };
  });
});
