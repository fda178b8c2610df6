/**
 * Who engaged with what, as two compressed sparse row matrices (by user, and by item), with a
 * weight per pair: what implicit ALS trains on.
 */
export interface Interactions {
  readonly users: number;
  readonly items: number;
  /** Row i spans [userPtr[i], userPtr[i + 1]) of userItems / userWeights. */
  readonly userPtr: Int32Array;
  readonly userItems: Int32Array;
  readonly userWeights: Float32Array;
  readonly itemPtr: Int32Array;
  readonly itemUsers: Int32Array;
  readonly itemWeights: Float32Array;
}

/**
 * Builds the matrices from (user, item, weight) triples by number. Repeated pairs add their
 * weights: two likes of one post weigh twice one.
 */
export function buildInteractions(
  users: number,
  items: number,
  pairs: { readonly user: Int32Array; readonly item: Int32Array; readonly weight: Float32Array },
): Interactions {
  const merged = new Map<number, number>();
  for (let k = 0; k < pairs.user.length; k++) {
    const key = pairs.user[k]! * items + pairs.item[k]!;
    merged.set(key, (merged.get(key) ?? 0) + pairs.weight[k]!);
  }
  const n = merged.size;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const weight = new Float32Array(n);
  let k = 0;
  for (const [key, w] of merged) {
    user[k] = Math.floor(key / items);
    item[k] = key % items;
    weight[k] = w;
    k++;
  }
  const byUser = csr(users, user, item, weight);
  const byItem = csr(items, item, user, weight);
  return {
    users,
    items,
    userPtr: byUser.ptr,
    userItems: byUser.cols,
    userWeights: byUser.values,
    itemPtr: byItem.ptr,
    itemUsers: byItem.cols,
    itemWeights: byItem.values,
  };
}

function csr(rows: number, row: Int32Array, col: Int32Array, value: Float32Array) {
  const ptr = new Int32Array(rows + 1);
  for (let k = 0; k < row.length; k++) ptr[row[k]! + 1]! += 1;
  for (let r = 0; r < rows; r++) ptr[r + 1]! += ptr[r]!;
  const next = ptr.slice(0, rows);
  const cols = new Int32Array(row.length);
  const values = new Float32Array(row.length);
  for (let k = 0; k < row.length; k++) {
    const at = next[row[k]!]!++;
    cols[at] = col[k]!;
    values[at] = value[k]!;
  }
  return { ptr, cols, values };
}
