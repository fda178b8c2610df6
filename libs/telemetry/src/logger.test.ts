import assert from 'node:assert/strict';
import type { DestinationStream } from 'pino';
import {
  createLogger,
  logLevelOf,
  startTelemetry,
  withSpan,
  type InMemoryTelemetry,
} from './index.js';

/** A destination that keeps each line, parsed. */
function lines(): DestinationStream & { read(): Record<string, unknown>[] } {
  const written: string[] = [];
  return {
    write: (line) => void written.push(line),
    read: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  let telemetry: InMemoryTelemetry;

  before(() => {
    telemetry = startTelemetry({ serviceName: 'logger-test', inMemory: true });
  });

  after(() => telemetry.shutdown());

  it('writes the trace and span ids of the active span on each line', async () => {
    const destination = lines();
    const logger = createLogger('ranker', { destination });

    const spanContext = await withSpan('rank', {}, (span) => {
      logger.info({ candidates: 3 }, 'ranked');
      return span.spanContext();
    });

    const [line] = destination.read();
    assert.deepEqual(
      { ...line, time: undefined },
      {
        level: 'info',
        time: undefined,
        service: 'ranker',
        trace_id: spanContext.traceId,
        span_id: spanContext.spanId,
        candidates: 3,
        msg: 'ranked',
      },
    );
  });

  it('writes no trace id outside a span', () => {
    const destination = lines();
    createLogger('ranker', { destination }).info('idle');

    const [line] = destination.read();
    assert.equal(line?.['trace_id'], undefined);
    assert.equal(line?.['msg'], 'idle');
  });

  it('serializes an error with its stack and cause', () => {
    const destination = lines();
    const cause = new Error('connection reset');
    createLogger('ranker', { destination }).error(
      { err: new Error('model unavailable', { cause }) },
      'rank failed',
    );

    const err = destination.read()[0]?.['err'] as { message: string; stack: string };
    assert.match(err.message, /model unavailable: connection reset/);
    assert.match(err.stack, /Error: model unavailable\n\s+at /);
    assert.match(err.stack, /caused by: Error: connection reset/);
  });

  it('takes its level from LOG_LEVEL', () => {
    const destination = lines();
    const logger = createLogger('ranker', { destination, env: { LOG_LEVEL: 'warn' } });
    logger.info('dropped');
    logger.warn('kept');

    assert.deepEqual(
      destination.read().map((line) => line['msg']),
      ['kept'],
    );
  });

  it('logs at info, without throwing, when LOG_LEVEL is unusable (the config names it)', () => {
    for (const LOG_LEVEL of ['loud', '', '  ']) {
      const destination = lines();
      const logger = createLogger('ranker', { destination, env: { LOG_LEVEL } });
      logger.debug('dropped');
      logger.info('kept');
      assert.deepEqual(
        destination.read().map((line) => line['msg']),
        ['kept'],
        `LOG_LEVEL=${JSON.stringify(LOG_LEVEL)}`,
      );
    }
  });

  it('reads a level in any case and with blanks around it, and nothing else', () => {
    assert.equal(logLevelOf(' WARN '), 'warn');
    assert.equal(logLevelOf('silent'), 'silent');
    assert.equal(logLevelOf('loud'), undefined);
    assert.equal(logLevelOf(''), undefined);
  });
});
