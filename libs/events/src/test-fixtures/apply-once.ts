import type { eventsv1 } from '@feedmesh/contracts';
import type { Redis } from 'ioredis';
import type { RedisStreamsEventLog } from '../redis-streams-event-log.js';

/** Sets the group's processed-marker and counts the event in one step, or does neither. */
const APPLY_ONCE = `
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  return 1
end
return 0`;

/**
 * A handler's write made exactly-once with the log's processed-marker: the increment of
 * `countsKey[event_id]` and the marker are one Lua script, so a crash lands before or after
 * both. Standalone Redis only: on a Cluster `countsKey` would need the marker's hash tag.
 */
export async function countOnce(
  redis: Redis,
  log: RedisStreamsEventLog,
  group: string,
  event: eventsv1.Event,
  countsKey: string,
): Promise<void> {
  const marker = log.processedMarker(group, event);
  await redis.eval(APPLY_ONCE, 2, marker.key, countsKey, marker.ttlMs, event.eventId);
}
