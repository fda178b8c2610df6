import type { eventsv1 } from '@feedmesh/contracts';
import { ClientError, Status } from '@feedmesh/service-kit';
import { CommandFailedError, describeGrpcError } from './cli-errors.js';
import { EventLineError } from './event-lines.js';
import type { GatewayClient } from './gateway-client.js';

/** An event to publish and where it came from: a file's line, or its place in a stream. */
export interface NumberedEvent {
  readonly line: number;
  readonly event: eventsv1.Event;
}

export interface PublishOptions {
  /** Events per PublishEvents call: 1-1,000 (the gateway's limit). */
  readonly batchSize: number;
  /** Gateway address, for error messages. */
  readonly address: string;
  /** What `line` counts, in messages: `line` for a file, `event` for a generated stream. */
  readonly unit?: 'line' | 'event';
  /** Stops after the batch in flight. */
  readonly signal?: AbortSignal;
  readonly onBatch?: (published: number) => void;
}

export interface PublishSummary {
  readonly published: number;
  readonly batches: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

/**
 * Publishes events through the gateway's PublishEvents, in order, one batch in flight while
 * the next is read. Order matters (a post after its blog), so batches are never concurrent.
 *
 * Every failure comes out as a CommandFailedError that says where it stopped: the bad line,
 * or the gateway's message (which names the index and field) turned into the line it means,
 * and how much was published before it. Publishing again is safe: consumers skip event ids
 * they already applied.
 */
export async function publishEvents(
  client: GatewayClient,
  source: AsyncIterable<NumberedEvent> | Iterable<NumberedEvent>,
  options: PublishOptions,
): Promise<PublishSummary> {
  const unit = options.unit ?? 'line';
  const started = performance.now();
  let published = 0;
  let batches = 0;
  let lastPublished = 0;
  let inFlight: Promise<void> | undefined;

  const send = async (batch: NumberedEvent[]) => {
    try {
      await client.publishEvents({ events: batch.map((item) => item.event) });
    } catch (error) {
      throw rejected(error, batch, unit, options.address, stoppedAt());
    }
    published += batch.length;
    batches += 1;
    lastPublished = batch[batch.length - 1]?.line ?? lastPublished;
    options.onBatch?.(published);
  };
  const stoppedAt = () =>
    published === 0
      ? 'nothing was published'
      : `published ${published} events (through ${unit} ${lastPublished}) before it`;

  let batch: NumberedEvent[] = [];
  try {
    for await (const item of source) {
      batch.push(item);
      if (batch.length < options.batchSize) continue;
      await inFlight;
      if (options.signal?.aborted) throw interrupted(stoppedAt());
      inFlight = send(batch);
      // Awaited before the next send; until then this keeps a rejection from counting as
      // unhandled while the next batch is read.
      inFlight.catch(() => undefined);
      batch = [];
    }
    await inFlight;
    if (batch.length > 0) await send(batch);
  } catch (error) {
    // A reader failure while a batch is in flight: let that batch settle first, so the
    // message says truthfully what was published.
    await inFlight?.catch(() => undefined);
    if (error instanceof EventLineError) {
      throw new CommandFailedError(error.message, `${stoppedAt()}; ${REPUBLISH}`);
    }
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    published,
    batches,
    seconds,
    eventsPerSecond: seconds > 0 ? Math.round(published / seconds) : published,
  };
}

const REPUBLISH = 'fix it and publish again: consumers skip event ids they already applied';

function interrupted(stoppedAt: string): CommandFailedError {
  return new CommandFailedError(`interrupted; ${stoppedAt}`, REPUBLISH);
}

function rejected(
  error: unknown,
  batch: readonly NumberedEvent[],
  unit: string,
  address: string,
  stoppedAt: string,
): unknown {
  if (!(error instanceof ClientError)) return error;
  const described = describeGrpcError(error, address);
  const first = batch[0]?.line;
  const last = batch[batch.length - 1]?.line;
  if (error.code === Status.INVALID_ARGUMENT) {
    const index = /events\[(\d+)\]/.exec(error.details)?.[1];
    const culprit = index === undefined ? undefined : batch[Number(index)]?.line;
    const where = culprit === undefined ? `${unit}s ${first}-${last}` : `${unit} ${culprit}`;
    return new CommandFailedError(
      `${where}: ${described.message}`,
      `the gateway rejected the batch of ${unit}s ${first}-${last} whole; ${stoppedAt}; ${REPUBLISH}`,
    );
  }
  return new CommandFailedError(
    described.message,
    [described.hint, `${stoppedAt}; publishing again is safe`].filter(Boolean).join('\n'),
  );
}
