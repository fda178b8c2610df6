import { createHash } from 'node:crypto';

const GROUP_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Consumer groups a replica rotates through (see `IndexReplica`). */
export const GROUP_SLOTS = 3;

/**
 * A consumer group of one search replica: `search:<consumer name>`, and `:1`, `:2` for the
 * other slots of the snapshot rotation.
 *
 * Unlike other services, whose replicas share one group and split the log between them, each
 * search replica needs every event, since each holds the whole index in memory. So every
 * replica reads with groups of its own. The name is made valid for a group name (1-64 of
 * [A-Za-z0-9_.:-]) and stays stable across restarts as long as CONSUMER_NAME does.
 */
export function searchGroupName(consumerName: string, slot = 0): string {
  const suffix = slot === 0 ? '' : `:${slot}`;
  const name = `search:${consumerName.replace(/[^A-Za-z0-9_.:-]/g, '_')}`;
  if (GROUP_NAME.test(name + suffix)) return name + suffix;
  const hash = createHash('sha256').update(consumerName).digest('hex').slice(0, 12);
  return `${name.slice(0, 64 - hash.length - 1 - suffix.length)}-${hash}${suffix}`;
}
