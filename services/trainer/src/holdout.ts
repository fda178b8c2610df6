import type { TrainingExample } from './training-example.js';

export interface TimeSplit {
  readonly train: number[];
  readonly heldOut: number[];
  /** Examples at or after this time are held out. */
  readonly cutoffMs: number;
}

/**
 * Holds out the most recent `fraction` of examples by time: the model is judged on data from
 * after everything it learned from, as it will be used. (A random split would let it learn
 * tomorrow's trends and flatter it.) Ties at the cutoff all go to the held-out side, so one
 * positive and its sampled negatives, which share a time, are never split.
 */
export function splitByTime(examples: readonly TrainingExample[], fraction: number): TimeSplit {
  const order = examples
    .map((_, i) => i)
    .sort((a, b) => {
      const ea = examples[a] as TrainingExample;
      const eb = examples[b] as TrainingExample;
      return ea.atMs - eb.atMs || a - b;
    });
  if (order.length === 0) return { train: [], heldOut: [], cutoffMs: 0 };
  const firstHeldOut = Math.min(order.length - 1, Math.floor(order.length * (1 - fraction)));
  const cutoffMs = (examples[order[firstHeldOut] as number] as TrainingExample).atMs;
  const train: number[] = [];
  const heldOut: number[] = [];
  for (const i of order)
    ((examples[i] as TrainingExample).atMs >= cutoffMs ? heldOut : train).push(i);
  return { train, heldOut, cutoffMs };
}
