/**
 * The simulation's time: it runs at wall-clock speed between jumps, so deadlines measured on
 * it behave as on a real clock, and jumps forward when the simulator moves to its next tick.
 * A mesh started with `clock: () => clock.now()` stamps impressions, decays features and
 * validates event times on simulated time, so everything in the log agrees on one timeline.
 */
export class SimulatedClock {
  private offsetMs: number;

  /** Starts at `startMs` (ms since the epoch); default: the wall clock's now. */
  constructor(
    startMs: number = Date.now(),
    private readonly wallClock: () => number = Date.now,
  ) {
    this.offsetMs = startMs - wallClock();
  }

  now(): number {
    return this.wallClock() + this.offsetMs;
  }

  /** Moves time forward to `atMs`; never backwards (a late call leaves it where it is). */
  advanceTo(atMs: number): void {
    const now = this.now();
    if (atMs > now) this.offsetMs += atMs - now;
  }
}
