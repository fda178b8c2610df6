import { createHash } from 'node:crypto';

const GROUP_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The consumer group of one search replica: `search:<consumer name>`.
 *
 * Unlike other services, whose replicas share one group and split the log between them, each
 * search replica needs every event, since each holds the whole index in memory. So every
 * replica reads with a group of its own. The name is made valid for a group name (1-64 of
 * [A-Za-z0-9_.:-]) and stays stable across restarts as long as CONSUMER_NAME does.
 */
export function searchGroupName(consumerName: string): string {
  const name = `search:${consumerName.replace(/[^A-Za-z0-9_.:-]/g, '_')}`;
  if (GROUP_NAME.test(name)) return name;
  const hash = createHash('sha256').update(consumerName).digest('hex').slice(0, 12);
  return `${name.slice(0, 64 - hash.length - 1)}-${hash}`;
}
