/**
 * Where each of a model's features comes from in a request: a candidate column, a user
 * value, or nowhere (the feature's default). Computing it means hashing every name, so it
 * is cached per column layout: the feature store serves one layout per registry version, so
 * nearly every request hits the cache.
 */
export interface ColumnMapping {
  /** Per model feature: the candidate column index, or -1. */
  readonly candidateColumn: Int32Array;
  /** Per model feature: the user vector index, or -1 (only used when candidateColumn is -1). */
  readonly userIndex: Int32Array;
  /** Model features found among the candidate columns, ascending. */
  readonly candidateFeatures: Int32Array;
}

const MAX_LAYOUTS = 64;

export class ColumnMappingCache {
  private readonly layouts = new Map<string, ColumnMapping>();

  constructor(private readonly featureNames: readonly string[]) {}

  /** A candidate column wins over a user value of the same name. */
  mappingFor(candidateNames: readonly string[], userNames: readonly string[]): ColumnMapping {
    // \u0000 cannot appear in a validated feature name, so distinct layouts get distinct keys.
    const key = `${candidateNames.join('\u0000')}\u0001${userNames.join('\u0000')}`;
    const cached = this.layouts.get(key);
    if (cached !== undefined) return cached;
    const mapping = this.build(candidateNames, userNames);
    if (this.layouts.size >= MAX_LAYOUTS) {
      const oldest = this.layouts.keys().next().value;
      if (oldest !== undefined) this.layouts.delete(oldest);
    }
    this.layouts.set(key, mapping);
    return mapping;
  }

  get size(): number {
    return this.layouts.size;
  }

  private build(candidateNames: readonly string[], userNames: readonly string[]): ColumnMapping {
    const columnOf = indexByName(candidateNames);
    const userOf = indexByName(userNames);
    const width = this.featureNames.length;
    const candidateColumn = new Int32Array(width).fill(-1);
    const userIndex = new Int32Array(width).fill(-1);
    const fromCandidates: number[] = [];
    this.featureNames.forEach((name, j) => {
      const column = columnOf.get(name);
      if (column !== undefined) {
        candidateColumn[j] = column;
        fromCandidates.push(j);
        return;
      }
      const u = userOf.get(name);
      if (u !== undefined) userIndex[j] = u;
    });
    return { candidateColumn, userIndex, candidateFeatures: Int32Array.from(fromCandidates) };
  }
}

function indexByName(names: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  // The first of duplicate names wins; the ranker rejects duplicates before this.
  names.forEach((name, i) => {
    if (!map.has(name)) map.set(name, i);
  });
  return map;
}
