import { setTimeout as sleep } from 'node:timers/promises';
import type { EventLog } from '@feedmesh/events';
import type { World } from '@feedmesh/world';
import type { Output } from './cli-io.js';
import { publishEvents, type NumberedEvent, type PublishSummary } from './event-publisher.js';
import type { GatewayClient } from './gateway-client.js';
import { startProgress } from './progress.js';
import { formatCount } from './render/text.js';

/**
 * Publishes a generated world through the gateway (as a producer would), with a progress bar
 * over the world's timeline: the world streams, so its event count is not known up front.
 */
export async function publishWorld(
  client: GatewayClient,
  world: World,
  options: { address: string; batchSize: number; stderr: Output; signal: AbortSignal },
): Promise<PublishSummary> {
  const { windowStartMs, nowMs } = world.truth;
  let lastAt = windowStartMs;
  const progress = startProgress(options.stderr, {
    total: 100,
    format: 'publish |{bar}| {percentage}% of the timeline | {events} events | {rate} events/s',
    payload: { events: 0, rate: 0 },
  });
  const started = performance.now();
  function* numbered(): Generator<NumberedEvent> {
    let n = 0;
    for (const event of world.events()) {
      n += 1;
      lastAt = event.atMs;
      yield { line: n, event };
    }
  }
  try {
    return await publishEvents(client, numbered(), {
      batchSize: options.batchSize,
      address: options.address,
      unit: 'event',
      signal: options.signal,
      onBatch: (published) => {
        const share = (lastAt - windowStartMs) / (nowMs - windowStartMs);
        const seconds = (performance.now() - started) / 1000;
        progress.update(Math.max(0, Math.min(100, Math.floor(share * 100))), {
          events: formatCount(published),
          rate: formatCount(Math.round(published / Math.max(seconds, 0.001))),
        });
      },
    });
  } finally {
    progress.stop();
  }
}

/**
 * Waits until every consumer group has applied everything in the log (nothing undelivered,
 * nothing pending), so what is served next reflects the whole world.
 */
export async function waitForConsumers(
  eventLog: EventLog,
  groups: readonly string[],
  options: { stderr: Output; signal: AbortSignal; pollMs?: number },
): Promise<void> {
  const behind = async () => {
    const lags = await Promise.all(groups.map((group) => eventLog.lag(group)));
    return lags.map((lag) => lag.undelivered + lag.pending);
  };
  let lags = await behind();
  const initial = Math.max(1, ...lags);
  const progress = startProgress(options.stderr, {
    total: initial,
    format: 'catch up |{bar}| {percentage}% | slowest consumer {left} events behind',
    payload: { left: formatCount(Math.max(...lags)) },
  });
  try {
    while (lags.some((lag) => lag > 0)) {
      options.signal.throwIfAborted();
      await sleep(options.pollMs ?? 200);
      lags = await behind();
      const slowest = Math.max(...lags);
      progress.update(Math.max(0, initial - slowest), { left: formatCount(slowest) });
    }
  } finally {
    progress.stop();
  }
}
