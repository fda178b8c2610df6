/**
 * The `k` best documents by `before(a, b)` (true when a ranks before b): a bounded heap whose
 * root is the worst kept, in a reused typed array. Most candidates of a large result set are
 * turned away by one comparison with the root, so n candidates cost about n comparisons.
 */
export class TopDocs {
  private heap = new Int32Array(64);
  private size = 0;
  private k = 0;
  private before: (a: number, b: number) => boolean = () => false;

  reset(k: number, before: (a: number, b: number) => boolean): void {
    if (this.heap.length < k) this.heap = new Int32Array(Math.max(k, this.heap.length * 2));
    this.size = 0;
    this.k = k;
    this.before = before;
  }

  offer(doc: number): void {
    const heap = this.heap;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const up = heap[parent] as number;
        if (!this.before(up, doc)) break;
        heap[i] = up;
        i = parent;
      }
      heap[i] = doc;
    } else if (this.k > 0 && this.before(doc, heap[0] as number)) {
      this.siftDown(doc);
    }
  }

  /** The kept documents, best first. Empties the heap. */
  drain(): number[] {
    const out = new Array<number>(this.size);
    while (this.size > 0) {
      out[this.size - 1] = this.heap[0] as number;
      const last = this.heap[--this.size] as number;
      if (this.size > 0) this.siftDown(last);
    }
    return out;
  }

  /** Puts `doc` at the root and sinks it: the root is the worst, so its children rank before. */
  private siftDown(doc: number): void {
    const heap = this.heap;
    const size = this.size;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      let worst = left;
      if (right < size && this.before(heap[left] as number, heap[right] as number)) worst = right;
      if (!this.before(doc, heap[worst] as number)) break;
      heap[i] = heap[worst] as number;
      i = worst;
    }
    heap[i] = doc;
  }
}
