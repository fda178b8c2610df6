import type { EventLog, EventLogOptions } from './event-log.js';
import { InMemoryEventLog } from './in-memory-event-log.js';
import {
  RedisStreamsEventLog,
  type RedisStreamsEventLogOptions,
} from './redis-streams-event-log.js';

export type EventLogConfig =
  | ({ readonly kind: 'memory' } & EventLogOptions)
  | ({ readonly kind: 'redis' } & RedisStreamsEventLogOptions);

/** The in-memory log for the embedded playground and tests, Redis Streams otherwise. */
export function createEventLog(config: EventLogConfig): EventLog {
  switch (config.kind) {
    case 'memory':
      return new InMemoryEventLog(config);
    case 'redis':
      return new RedisStreamsEventLog(config);
  }
}
