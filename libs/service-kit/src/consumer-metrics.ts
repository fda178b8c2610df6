import type { ConsumerStats, EventLog } from '@feedmesh/events';
import { meter } from '@feedmesh/telemetry';

type Meter = ReturnType<typeof meter>;

/** `ConsumerStats` fields as the metric's `feedmesh.event_log.outcome` values. */
const OUTCOMES: readonly (readonly [keyof ConsumerStats, string])[] = [
  ['processed', 'processed'],
  ['duplicates', 'duplicate'],
  ['failed', 'failed'],
  ['deadLettered', 'dead_lettered'],
  ['reclaimed', 'reclaimed'],
  ['resumed', 'resumed'],
];

/**
 * `feedmesh.event_log.consumer.events`: what each running consumer of `log` did since it
 * started, by outcome (a cumulative counter read from `Consumer.stats` at each collection),
 * with the group and the consumer as attributes. What an SRE alerts on: `dead_lettered` or
 * `failed` rising, `reclaimed` (a replica died or hung). Returns a function that stops it.
 */
export function observeConsumers(
  log: EventLog,
  scope: Meter = meter('@feedmesh/events'),
): () => void {
  const counter = scope.createObservableCounter('feedmesh.event_log.consumer.events', {
    description:
      'Events each consumer of the process handled since it started, by outcome: processed ' +
      '(applied), duplicate (applied before), failed (the handler threw; redelivered), ' +
      'dead_lettered, reclaimed (taken over from another consumer), resumed (its own, read back)',
    unit: '{event}',
  });
  const observe: Parameters<typeof counter.addCallback>[0] = (result) => {
    for (const consumer of log.consumers()) {
      const stats = consumer.stats();
      for (const [field, outcome] of OUTCOMES) {
        result.observe(stats[field], {
          'messaging.consumer.group.name': consumer.group,
          'feedmesh.event_log.consumer': consumer.name,
          'feedmesh.event_log.outcome': outcome,
        });
      }
    }
  };
  counter.addCallback(observe);
  return () => counter.removeCallback(observe);
}
