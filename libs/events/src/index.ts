/**
 * The event log (DESIGN.md "The event log"): `createEventLog` picks Redis Streams or the
 * in-memory log; producers `append`, each service `consume`s with its own group.
 *
 *   const log = createEventLog({ kind: 'redis', url, prefix: 'feedmesh:events' });
 *   const consumer = await log.consume({ group: 'search', consumer: podName, handler });
 *   const mark = await log.endMark(); // later: has the group handled everything before it?
 *   const caughtUp = await log.handledUpTo('search', mark);
 *   await log.redriveDeadLetters('search', { ids }); // once the bug that killed them is fixed
 *   ...
 *   await log.close(); // stops the consumers gracefully, then quits the connection
 */
export type {
  BatchEventHandler,
  BatchFailure,
  ConsumeOptions,
  ConsumeSettings,
  Consumer,
  ConsumerStats,
  DeadLetter,
  DeadLetterPage,
  Delivery,
  EventHandler,
  EventLog,
  EventLogLogger,
  EventLogOptions,
  GroupConsumer,
  GroupLag,
  GroupStatus,
  HistoryOptions,
  LogMark,
  RedriveSelection,
  StartFrom,
} from './event-log.js';
export { MAX_REDRIVE_IDS, UnknownDeadLettersError } from './dead-letter-selection.js';
export { createEventLog, type EventLogConfig } from './create-event-log.js';
export { InMemoryEventLog } from './in-memory-event-log.js';
export {
  RedisStreamsEventLog,
  type ProcessedMarker,
  type RedisConnection,
  type RedisStreamsEventLogOptions,
} from './redis-streams-event-log.js';
export { partitionKey, partitionOf } from './partition.js';
export { isValidName, NAME_MAX_LENGTH, NAME_RULE } from './consumer-runner.js';
export { DEFAULT_PROCESSED_TTL_MS } from './log-settings.js';
export { waitUntilDrained, type DrainWaitOptions } from './drained.js';
export { inOrder } from './in-order.js';
export { redisUnavailable, asUnavailable } from './redis-unavailable.js';
