/**
 * What an item of a batch must stay ordered with: the entities it changes (`exclusive`: it
 * waits for every earlier item naming them) and those it only depends on (`shared`: it waits
 * for earlier items changing them, not for other items that only depend on them).
 */
export type OrderingKeys =
  { readonly exclusive: readonly string[]; readonly shared?: readonly string[] } | 'barrier';

/** An item of a batch whose task threw. */
export interface ItemFailure {
  readonly index: number;
  readonly error: unknown;
}

/**
 * Runs a batch's tasks at once, except that a task waits for every earlier task it must follow
 * (OrderingKeys): items of one entity keep their order, unrelated items overlap (their Redis
 * round trips share the connection instead of queueing one after another). A `barrier` item
 * waits for every earlier task and every later one waits for it, for the rare item whose
 * entities cannot be named up front.
 *
 * A failing task does not stop the batch: it is reported by index and the tasks after it run,
 * as they would one at a time (a failed event stays pending and the log moves on).
 */
export async function runKeyOrdered<T>(
  items: readonly T[],
  keysOf: (item: T) => OrderingKeys,
  task: (item: T, index: number) => Promise<void>,
): Promise<ItemFailure[]> {
  const failures: ItemFailure[] = [];
  /** Per key, its latest exclusive task and the shared ones since; tasks never reject. */
  const keys = new Map<string, { exclusive: Promise<void>; shared: Promise<void>[] }>();
  let barrier: Promise<void> = Promise.resolve();
  let sinceBarrier: Promise<void>[] = [];
  const run = (item: T, index: number): Promise<void> =>
    task(item, index).catch((error: unknown) => void failures.push({ index, error }));

  const all = items.map((item, index) => {
    const ordering = keysOf(item);
    if (ordering === 'barrier') {
      const before = [barrier, ...sinceBarrier];
      barrier = Promise.all(before).then(() => run(item, index));
      sinceBarrier = [];
      keys.clear();
      return barrier;
    }
    const before = [barrier];
    for (const key of ordering.exclusive) {
      const state = keys.get(key);
      if (state !== undefined) before.push(state.exclusive, ...state.shared);
    }
    for (const key of ordering.shared ?? []) {
      const state = keys.get(key);
      if (state !== undefined) before.push(state.exclusive);
    }
    const done = Promise.all(before).then(() => run(item, index));
    for (const key of ordering.exclusive) keys.set(key, { exclusive: done, shared: [] });
    for (const key of ordering.shared ?? []) {
      const state = keys.get(key);
      if (state === undefined) keys.set(key, { exclusive: Promise.resolve(), shared: [done] });
      else state.shared.push(done);
    }
    sinceBarrier.push(done);
    return done;
  });
  await Promise.all(all);
  return failures.sort((a, b) => a.index - b.index);
}
