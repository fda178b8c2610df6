/**
 * The `k` best documents in order, by `before(a, b)` (true when a ranks before b): a bounded
 * heap whose root is the worst kept, so n candidates cost O(n log k) rather than a full sort.
 */
export function topK(
  docs: ArrayLike<number>,
  k: number,
  before: (a: number, b: number) => boolean,
): number[] {
  if (k <= 0) return [];
  const heap: number[] = [];
  const worse = (i: number, j: number) => before(heap[j] ?? 0, heap[i] ?? 0);
  const swap = (i: number, j: number) => {
    const t = heap[i] ?? 0;
    heap[i] = heap[j] ?? 0;
    heap[j] = t;
  };
  const siftDown = (start: number) => {
    for (let i = start; ;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < heap.length && worse(left, worst)) worst = left;
      if (right < heap.length && worse(right, worst)) worst = right;
      if (worst === i) return;
      swap(i, worst);
      i = worst;
    }
  };
  for (let n = 0; n < docs.length; n += 1) {
    const doc = docs[n] ?? 0;
    if (heap.length < k) {
      heap.push(doc);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!worse(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (before(doc, heap[0] ?? 0)) {
      heap[0] = doc;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
}
