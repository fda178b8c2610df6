import { metrics, type Attributes, type Meter, type ObservableResult } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE } from './spans.js';

/**
 * A meter from the process's meter provider. Take it after `startTelemetry`: the metrics API has
 * no proxy, so a meter taken before records nothing.
 */
export function meter(name: string = INSTRUMENTATION_SCOPE): Meter {
  return metrics.getMeter(name);
}

export interface GaugeReading {
  readonly value: number;
  readonly attributes?: Attributes;
}

/**
 * A gauge whose values are read at each collection, e.g. consumer lag per group:
 * `registerObservableGauge('messaging.consumer.lag', { unit: '{message}' }, () => lags())`.
 * Returns a function that stops observing (call it when the consumer stops).
 */
export function registerObservableGauge(
  name: string,
  options: { description?: string; unit?: string; meter?: Meter },
  read: () => Iterable<GaugeReading> | Promise<Iterable<GaugeReading>>,
): () => void {
  const gauge = (options.meter ?? meter()).createObservableGauge(name, {
    ...(options.description === undefined ? {} : { description: options.description }),
    ...(options.unit === undefined ? {} : { unit: options.unit }),
  });
  const observe = async (result: ObservableResult) => {
    for (const { value, attributes } of await read()) result.observe(value, attributes);
  };
  gauge.addCallback(observe);
  return () => gauge.removeCallback(observe);
}
