/**
 * Event ids applied recently, so an engagement delivered twice counts once: the rebuild reads
 * the log's history while this replica's group delivers what was appended meanwhile (or, after
 * a restart, everything since the group's last position), and delivery is at least once.
 *
 * Ids are hashed to 52 bits (two FNV-1a hashes) in open-addressing tables of doubles: no
 * string per id on the heap. Two generations bound the memory: when the current one is full
 * it becomes the previous one and the old previous is dropped, so the last `perGeneration`
 * to 2 × `perGeneration` ids are always remembered. A hash collision (about 1 in 10^8 at a
 * million ids) would drop one engagement.
 */
export class SeenEvents {
  private current: Float64Array;
  private previous: Float64Array;
  private count = 0;
  private readonly mask: number;

  constructor(private readonly perGeneration = 1_000_000) {
    let slots = 1;
    while (slots < perGeneration * 2) slots *= 2;
    this.mask = slots - 1;
    this.current = new Float64Array(slots);
    this.previous = new Float64Array(slots);
  }

  /** True when the id is remembered. */
  has(eventId: string): boolean {
    const key = hash52(eventId);
    return contains(this.previous, this.mask, key) || contains(this.current, this.mask, key);
  }

  /** Remembers the id; false when it was already remembered. */
  add(eventId: string): boolean {
    const key = hash52(eventId);
    if (contains(this.previous, this.mask, key)) return false;
    if (!insert(this.current, this.mask, key)) return false;
    if (++this.count >= this.perGeneration) {
      this.previous = this.current;
      this.current = new Float64Array(this.mask + 1);
      this.count = 0;
    }
    return true;
  }
}

function contains(table: Float64Array, mask: number, key: number): boolean {
  for (let slot = key & mask; ; slot = (slot + 1) & mask) {
    const found = table[slot]!;
    if (found === 0) return false;
    if (found === key) return true;
  }
}

/** False when present. */
function insert(table: Float64Array, mask: number, key: number): boolean {
  for (let slot = key & mask; ; slot = (slot + 1) & mask) {
    const found = table[slot]!;
    if (found === key) return false;
    if (found === 0) {
      table[slot] = key;
      return true;
    }
  }
}

/** A non-zero 52-bit hash of the id. */
function hash52(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff) || 1;
}
