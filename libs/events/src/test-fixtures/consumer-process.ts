/**
 * One replica of a consuming service, run as its own process by the crash test: it counts
 * each event once (`countOnce`), prints `applied <event_id>`, then lingers so the test can
 * SIGKILL it with the rest of its batch still pending.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisStreamsEventLog } from '../redis-streams-event-log.js';
import { countOnce } from './apply-once.js';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`consumer-process: ${name} is not set`);
  return value;
}

const redis = new Redis(required('REDIS_URL'));
const log = new RedisStreamsEventLog({
  client: redis,
  prefix: required('PREFIX'),
  partitions: Number(required('PARTITIONS')),
});
const group = required('GROUP');
const countsKey = required('COUNTS_KEY');
const lingerMs = Number(required('LINGER_MS'));

await log.consume({
  group,
  consumer: required('CONSUMER'),
  batchSize: Number(required('BATCH_SIZE')),
  pollIntervalMs: 10,
  ...(process.env['CONSUMER_TIMEOUT_MS'] === undefined
    ? {}
    : { consumerTimeoutMs: Number(process.env['CONSUMER_TIMEOUT_MS']) }),
  handler: async (event) => {
    await countOnce(redis, log, group, event, countsKey);
    process.stdout.write(`applied ${event.eventId}\n`);
    await delay(lingerMs);
  },
});
