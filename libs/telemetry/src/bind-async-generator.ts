import { context, type Context } from '@opentelemetry/api';

/**
 * A generator's body runs in the context of whoever calls `next()`, not of whoever created it.
 * Binding each step makes the wrapped middleware chain (and the handler) run in `ctx`.
 */
export function bindAsyncGenerator<T, TReturn, TNext>(
  ctx: Context,
  generator: AsyncGenerator<T, TReturn, TNext>,
): AsyncGenerator<T, TReturn, TNext> {
  return {
    next: context.bind(ctx, generator.next.bind(generator)),
    return: context.bind(ctx, generator.return.bind(generator)),
    throw: context.bind(ctx, generator.throw.bind(generator)),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
