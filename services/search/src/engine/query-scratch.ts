/**
 * Per-document accumulators reused across queries (the engine is synchronous, so one query
 * at a time). A slot is valid only when its stamp equals the current one, so nothing is
 * cleared between queries: a query costs what it touches, not the size of the index.
 */
export class QueryScratch {
  score = new Float64Array(0);
  matched = new Uint16Array(0);
  phrasesMatched = new Uint16Array(0);
  docStamp = new Uint32Array(0);
  termWeight = new Float64Array(0);
  termStamp = new Uint32Array(0);
  allowedStamp = new Uint32Array(0);
  /** Documents the query has scored, in the order first touched; `docCount` of them. */
  docs = new Uint32Array(0);
  docCount = 0;
  /** Documents of the clause being scored; `termDocCount` of them. */
  termDocs = new Uint32Array(0);
  private stamp = 0;

  /** Makes room for `size` documents and starts a new query; returns its stamp. */
  begin(size: number): number {
    if (this.score.length < size) {
      const capacity = Math.max(size, this.score.length * 2, 1024);
      this.score = new Float64Array(capacity);
      this.matched = new Uint16Array(capacity);
      this.phrasesMatched = new Uint16Array(capacity);
      this.docStamp = new Uint32Array(capacity);
      this.termWeight = new Float64Array(capacity);
      this.termStamp = new Uint32Array(capacity);
      this.allowedStamp = new Uint32Array(capacity);
      this.docs = new Uint32Array(capacity);
      this.termDocs = new Uint32Array(capacity);
      this.stamp = 0;
    }
    // Reset long before the counter could wrap within a query (a query takes a few stamps).
    if (this.stamp >= 0xff000000) {
      this.docStamp.fill(0);
      this.termStamp.fill(0);
      this.allowedStamp.fill(0);
      this.stamp = 0;
    }
    this.docCount = 0;
    return this.nextStamp();
  }

  /** A fresh stamp for a term or phrase pass. */
  nextStamp(): number {
    this.stamp += 1;
    return this.stamp;
  }
}
