/** Numbers for string ids, so indexes can be typed arrays of numbers. Never forgets an id. */
export class Interner {
  private readonly numbers = new Map<string, number>();
  private readonly names: string[] = [];

  get size(): number {
    return this.names.length;
  }

  /** The id's number, assigning the next one to an id not seen before. */
  intern(id: string): number {
    let n = this.numbers.get(id);
    if (n === undefined) {
      n = this.names.length;
      this.numbers.set(id, n);
      this.names.push(id);
    }
    return n;
  }

  /** The id's number, or -1 for an id never interned. */
  find(id: string): number {
    return this.numbers.get(id) ?? -1;
  }

  name(n: number): string {
    return this.names[n]!;
  }
}
