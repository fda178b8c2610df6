export interface DocumentFrequenciesJson {
  readonly format: 'feedmesh.document-frequencies/1';
  readonly documents: number;
  readonly frequencies: Readonly<Record<string, number>>;
}

/**
 * How many documents carry each term, learned from a corpus, for inverse document frequency:
 * a term on every post says nothing about any one post.
 */
export class DocumentFrequencies {
  #documents = 0;
  readonly #frequencies = new Map<string, number>();

  static fromJSON(json: DocumentFrequenciesJson): DocumentFrequencies {
    const df = new DocumentFrequencies();
    df.#documents = json.documents;
    for (const [term, n] of Object.entries(json.frequencies)) df.#frequencies.set(term, n);
    return df;
  }

  /** Counts one document's terms (each once, however often it repeats). */
  add(documentTerms: Iterable<string>): void {
    this.#documents++;
    for (const term of new Set(documentTerms)) {
      this.#frequencies.set(term, (this.#frequencies.get(term) ?? 0) + 1);
    }
  }

  get documents(): number {
    return this.#documents;
  }

  frequency(term: string): number {
    return this.#frequencies.get(term) ?? 0;
  }

  /** Smoothed IDF, ln((N + 1) / (df + 1)) + 1: an unseen term weighs most, a universal one 1. */
  idf(term: string): number {
    return Math.log((this.#documents + 1) / (this.frequency(term) + 1)) + 1;
  }

  terms(): IterableIterator<string> {
    return this.#frequencies.keys();
  }

  /** Serializable form, keeping only terms in at least minFrequency documents (rare terms get the unseen IDF). */
  toJSON(minFrequency = 1): DocumentFrequenciesJson {
    const frequencies: Record<string, number> = {};
    for (const [term, n] of this.#frequencies) if (n >= minFrequency) frequencies[term] = n;
    return { format: 'feedmesh.document-frequencies/1', documents: this.#documents, frequencies };
  }
}
