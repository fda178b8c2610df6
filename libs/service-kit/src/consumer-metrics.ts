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
  ['trimmed', 'trimmed'],
  ['redriven', 'redriven'],
];

/**
 * The metrics of every running consumer of `log` (read at each collection, so a consumer
 * started later, such as a search replica's next group, is counted as it comes); returns a
 * function that stops them:
 * - `feedmesh.event_log.consumer.events`: what each consumer did since it started, by outcome
 *   (a cumulative counter read from `Consumer.stats`), with the group and the consumer as
 *   attributes. What an SRE alerts on: `dead_lettered` or `failed` rising, `reclaimed` (a
 *   replica died or hung), `trimmed` (the group fell behind the log's retention).
 * - `messaging.consumer.lag`: per group consumed here, the entries it has not applied yet
 *   (undelivered plus pending), left out for a collection where the log does not answer.
 */
export function observeConsumers(
  log: EventLog,
  scope: Meter = meter('@feedmesh/events'),
): () => void {
  const counter = scope.createObservableCounter('feedmesh.event_log.consumer.events', {
    description:
      'Events each consumer of the process handled since it started, by outcome: processed ' +
      '(applied), duplicate (applied before), failed (the handler threw; redelivered), ' +
      'dead_lettered, reclaimed (taken over from another consumer), resumed (its own, read back), ' +
      'trimmed (cut by the length cap before the group handled it: lost to it), ' +
      'redriven (a dead letter an operator handed back to the group)',
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
  const lag = scope.createObservableGauge('messaging.consumer.lag', {
    description: 'Event log entries not yet applied by the group: undelivered plus pending',
    unit: '{message}',
  });
  const observeLag: Parameters<typeof lag.addCallback>[0] = async (result) => {
    const groups = [...new Set(log.consumers().map((consumer) => consumer.group))];
    const lags = await Promise.all(groups.map((group) => log.lag(group).catch(() => undefined)));
    groups.forEach((group, i) => {
      const groupLag = lags[i];
      if (groupLag === undefined) return;
      result.observe(groupLag.undelivered + groupLag.pending, {
        'messaging.consumer.group.name': group,
      });
    });
  };
  lag.addCallback(observeLag);
  return () => {
    counter.removeCallback(observe);
    lag.removeCallback(observeLag);
  };
}
