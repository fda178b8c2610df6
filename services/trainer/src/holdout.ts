import type { TrainingExample } from './training-example.js';

export interface TimeSplit {
  readonly train: number[];
  readonly heldOut: number[];
  /**
   * Examples before the cutoff left out of training because their label could depend on
   * what happened at or after it (the embargo).
   */
  readonly embargoed: number[];
  /** Examples at or after this time are held out. */
  readonly cutoffMs: number;
}

/**
 * Holds out the most recent `fraction` of examples by time: the model is judged on data from
 * after everything it learned from, as it will be used. (A random split would let it learn
 * tomorrow's trends and flatter it.) Ties at the cutoff all go to the held-out side, so one
 * positive and its sampled negatives, which share a time, are never split.
 *
 * An example at `atMs` is labelled by events up to `atMs + embargoMs` inclusive (the
 * attribution window). A training example whose window reaches the cutoff would learn from
 * the held-out period, so examples at or after `cutoffMs - embargoMs` that are not held out
 * are embargoed: used for neither side.
 *
 * A label may also come from before `atMs` (an engagement stamped up to the clock skew before
 * its impression), never from after `atMs + embargoMs`, and each event labels one example:
 * the bound above still keeps every training label before the cutoff.
 */
export function splitByTime(
  examples: readonly TrainingExample[],
  fraction: number,
  embargoMs = 0,
): TimeSplit {
  const order = examples
    .map((_, i) => i)
    .sort((a, b) => {
      const ea = examples[a] as TrainingExample;
      const eb = examples[b] as TrainingExample;
      return ea.atMs - eb.atMs || a - b;
    });
  if (order.length === 0) return { train: [], heldOut: [], embargoed: [], cutoffMs: 0 };
  const firstHeldOut = Math.min(order.length - 1, Math.floor(order.length * (1 - fraction)));
  const cutoffMs = (examples[order[firstHeldOut] as number] as TrainingExample).atMs;
  const train: number[] = [];
  const heldOut: number[] = [];
  const embargoed: number[] = [];
  for (const i of order) {
    const atMs = (examples[i] as TrainingExample).atMs;
    if (atMs >= cutoffMs) heldOut.push(i);
    else if (atMs + embargoMs >= cutoffMs) embargoed.push(i);
    else train.push(i);
  }
  return { train, heldOut, embargoed, cutoffMs };
}
