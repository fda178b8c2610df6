/**
 * A relation (following, blocked) is stored per member as a score: +time while active,
 * -time once ended (a tombstone), so a late event older than the last change is ignored
 * whatever the delivery order. The Redis store runs the same rule in Lua (`relation` in
 * redis-scripts.ts).
 */
export interface RelationOutcome {
  /** The member's new score; undefined when the change is ignored. */
  readonly score: number | undefined;
  /** The change in active members: -1, 0 or 1. */
  readonly delta: -1 | 0 | 1;
}

/** Last write wins by time; a tie between ending and starting goes to active. */
export function relationOutcome(
  stored: number | undefined,
  atMs: number,
  active: boolean,
): RelationOutcome {
  const was = stored !== undefined && stored > 0;
  if (stored !== undefined) {
    const last = Math.abs(stored);
    if (atMs < last || (atMs === last && (was || !active))) return { score: undefined, delta: 0 };
  }
  return {
    score: active ? atMs : -atMs,
    delta: ((active ? 1 : 0) - (was ? 1 : 0)) as -1 | 0 | 1,
  };
}
