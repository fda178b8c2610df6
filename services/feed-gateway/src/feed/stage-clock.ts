import { DeadlineExceededError } from '@feedmesh/errors';

/**
 * One deadline for the whole request, split into per-stage budgets: a stage gets its own
 * budget or what is left of the request, whichever is smaller, so a slow early stage eats
 * into later ones instead of pushing the response past its deadline.
 */
export class StageClock {
  private readonly deadline: number;

  constructor(
    totalMs: number,
    private readonly callerSignal: AbortSignal,
    private readonly now: () => number = Date.now,
  ) {
    this.deadline = now() + totalMs;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - this.now());
  }

  /** The time a stage may take, ms; throws when nothing is left of the request. */
  budget(stage: string, stageBudgetMs: number): number {
    const ms = Math.min(stageBudgetMs, this.remainingMs());
    if (ms <= 0 || this.callerSignal.aborted) throw new DeadlineExceededError(stage, stageBudgetMs);
    return ms;
  }

  /** The caller's signal: aborts a stage's call when the caller gives up. */
  get signal(): AbortSignal {
    return this.callerSignal;
  }
}
