import type { CorpusStats } from './search-query.js';

/**
 * The corpus statistics one search scores with: those of a first page (a later page's
 * `PageRequest.stats`) or, without them, the index's of the moment. Records the document
 * frequency it gives each clause, so the page can hand on exactly what it was scored with.
 */
export class ScoringStats {
  private readonly termDocs = new Map<string, number>();
  private readonly phraseDocs: number[] = [];

  private constructor(
    readonly docs: number,
    readonly textLengthSum: number,
    readonly tagsLengthSum: number,
    readonly blogLengthSum: number,
    private readonly given: CorpusStats | undefined,
  ) {}

  /** The given statistics when there are any, else the moment's. */
  static of(
    given: CorpusStats | undefined,
    moment: Omit<CorpusStats, 'termDocs' | 'phraseDocs'>,
  ): ScoringStats {
    const base = given ?? moment;
    return new ScoringStats(
      base.docs,
      base.textLengthSum,
      base.tagsLengthSum,
      base.blogLengthSum,
      given,
    );
  }

  /** The term's document frequency: the given one, else `live` (its live posts now). */
  termFrequency(term: string, live: number): number {
    const df = this.given?.termDocs.get(term) ?? live;
    this.termDocs.set(term, df);
    return df;
  }

  /** The document frequency of the query's phrase `i`: the given one, else `live`. */
  phraseFrequency(i: number, live: number): number {
    const df = this.given?.phraseDocs[i] ?? live;
    this.phraseDocs[i] = df;
    return df;
  }

  /** A field's average length per post (1 when there is nothing to average). */
  average(lengthSum: number): number {
    return this.docs > 0 && lengthSum > 0 ? lengthSum / this.docs : 1;
  }

  /** What the search was scored with. */
  export(): CorpusStats {
    return {
      docs: this.docs,
      textLengthSum: this.textLengthSum,
      tagsLengthSum: this.tagsLengthSum,
      blogLengthSum: this.blogLengthSum,
      termDocs: new Map(this.termDocs),
      phraseDocs: Array.from(this.phraseDocs, (df) => df ?? 0),
    };
  }
}
