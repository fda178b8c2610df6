import type { Rating } from '@feedmesh/evaluation';

/**
 * One fold's ratings over a fixed catalog of user and item indexes (the catalog of the whole
 * training file), so features computed on different folds line up by index.
 */
export interface Catalog {
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly userOf: ReadonlyMap<string, number>;
  readonly itemOf: ReadonlyMap<string, number>;
}

export interface Interactions {
  readonly catalog: Catalog;
  /** Per user: rated items, oldest first, with their stars and times (seconds). */
  readonly history: readonly Int32Array[];
  readonly stars: readonly Float32Array[];
  readonly times: readonly Float64Array[];
  /** Ratings per item in this fold. */
  readonly itemCounts: Int32Array;
  /** The latest rating time in the fold, seconds. */
  readonly lastTime: number;
}

export function catalogOf(ratings: readonly Rating[]): Catalog {
  const userIds = [...new Set(ratings.map((r) => r.userId))];
  const itemIds = [...new Set(ratings.map((r) => r.itemId))];
  return {
    userIds,
    itemIds,
    userOf: new Map(userIds.map((id, i) => [id, i])),
    itemOf: new Map(itemIds.map((id, i) => [id, i])),
  };
}

/** Ratings of ids the catalog lacks are dropped (an item first seen in a test file). */
export function interactionsOf(catalog: Catalog, ratings: readonly Rating[]): Interactions {
  const rows: Rating[][] = catalog.userIds.map(() => []);
  const itemCounts = new Int32Array(catalog.itemIds.length);
  let lastTime = 0;
  for (const r of ratings) {
    const u = catalog.userOf.get(r.userId);
    const i = catalog.itemOf.get(r.itemId);
    if (u === undefined || i === undefined) continue;
    rows[u]!.push(r);
    itemCounts[i] = (itemCounts[i] ?? 0) + 1;
    if (r.timestamp > lastTime) lastTime = r.timestamp;
  }
  const history: Int32Array[] = [];
  const stars: Float32Array[] = [];
  const times: Float64Array[] = [];
  for (const userRows of rows) {
    userRows.sort((a, b) => a.timestamp - b.timestamp);
    history.push(Int32Array.from(userRows, (r) => catalog.itemOf.get(r.itemId)!));
    stars.push(Float32Array.from(userRows, (r) => r.rating));
    times.push(Float64Array.from(userRows, (r) => r.timestamp));
  }
  return { catalog, history, stars, times, itemCounts, lastTime };
}

/**
 * The items a model covers (rated at least `minRatings` times in `counts`, the data's own by
 * default) and each catalog item's index among them (-1 outside).
 */
export function itemUniverse(
  data: Interactions,
  minRatings: number,
  counts: Int32Array = data.itemCounts,
): { readonly universe: Int32Array; readonly local: Int32Array } {
  const items = data.catalog.itemIds.length;
  const universe = Int32Array.from({ length: items }, (_, i) => i).filter(
    (i) => (counts[i] as number) >= minRatings,
  );
  const local = new Int32Array(items).fill(-1);
  universe.forEach((item, j) => (local[item] = j));
  return { universe, local };
}
