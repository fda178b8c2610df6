import { InvalidArgumentError } from '@feedmesh/errors';
import { DocumentFrequencies, type DocumentFrequenciesJson } from './document-frequencies.js';
import { tfidfVector, type SparseVector } from './sparse-vector.js';

export interface TaggedExample {
  /** The post's features (text terms, and any '#tags' it already has). */
  readonly features: readonly string[];
  /** Its canonical tags: the labels. */
  readonly tags: readonly string[];
}

export interface TagInferrerOptions {
  /** Nearest tagged posts that vote. */
  readonly neighbours?: number;
  /** Votes weigh similarity^sharpness: higher trusts the closest neighbours more. */
  readonly sharpness?: number;
  /**
   * Examples kept per feature, heaviest first: a feature on thousands of posts weighs little in
   * each (low IDF), and reading all of them is what makes inference slow on a large site.
   */
  readonly maxPostings?: number;
}

export interface InferredTag {
  readonly tag: string;
  /** Similarity-weighted share of the neighbours' votes, in [0, 1]. */
  readonly score: number;
}

export interface TagInferrerJson {
  readonly format: 'feedmesh.tag-inferrer/1';
  readonly neighbours: number;
  readonly sharpness: number;
  readonly df: DocumentFrequenciesJson;
  readonly examples: readonly TaggedExample[];
}

/**
 * Multi-label tag inference by k nearest neighbours: a post's TF-IDF vector is compared with
 * every tagged training post through an inverted index, and the nearest vote for their tags.
 * Suits a long tail of tags (one model for all, nothing per tag to train) and explains itself.
 */
export class TagInferrer {
  readonly neighbours: number;
  readonly sharpness: number;
  readonly #df: DocumentFrequencies;
  readonly #examples: readonly TaggedExample[];
  /** Per feature, its examples and weights, heaviest first, at most `maxPostings`. */
  readonly #postings = new Map<string, { examples: Int32Array; weights: Float32Array }>();
  /** Similarity accumulators, one per example, zeroed again after every query. */
  readonly #scores: Float64Array;

  private constructor(
    examples: readonly TaggedExample[],
    df: DocumentFrequencies,
    options: TagInferrerOptions,
  ) {
    this.neighbours = options.neighbours ?? 25;
    this.sharpness = options.sharpness ?? 2;
    if (!Number.isInteger(this.neighbours) || this.neighbours < 1) {
      throw new InvalidArgumentError('neighbours', 'must be a positive integer');
    }
    this.#df = df;
    this.#examples = examples;
    this.#scores = new Float64Array(examples.length);
    const maxPostings = options.maxPostings ?? DEFAULT_MAX_POSTINGS;
    const lists = new Map<string, Array<{ example: number; weight: number }>>();
    examples.forEach((example, i) => {
      for (const [feature, weight] of tfidfVector(example.features, df)) {
        let list = lists.get(feature);
        if (!list) lists.set(feature, (list = []));
        list.push({ example: i, weight });
      }
    });
    for (const [feature, list] of lists) {
      if (list.length > maxPostings) {
        list.sort((a, b) => b.weight - a.weight || a.example - b.example);
        list.length = maxPostings;
      }
      this.#postings.set(feature, {
        examples: Int32Array.from(list, (p) => p.example),
        weights: Float32Array.from(list, (p) => p.weight),
      });
    }
  }

  static train(examples: readonly TaggedExample[], options: TagInferrerOptions = {}): TagInferrer {
    const tagged = examples.filter((e) => e.tags.length > 0 && e.features.length > 0);
    const df = new DocumentFrequencies();
    for (const example of tagged) df.add(example.features);
    return new TagInferrer(tagged, df, options);
  }

  static fromJSON(json: TagInferrerJson): TagInferrer {
    return new TagInferrer(json.examples, DocumentFrequencies.fromJSON(json.df), json);
  }

  toJSON(): TagInferrerJson {
    return {
      format: 'feedmesh.tag-inferrer/1',
      neighbours: this.neighbours,
      sharpness: this.sharpness,
      df: this.#df.toJSON(),
      examples: this.#examples,
    };
  }

  get exampleCount(): number {
    return this.#examples.length;
  }

  /** The most likely tags for a post's features, best first, leaving out the tags it has. */
  infer(
    features: readonly string[],
    options: { limit?: number; exclude?: readonly string[]; minScore?: number } = {},
  ): InferredTag[] {
    const limit = options.limit ?? 5;
    const exclude = new Set(options.exclude ?? []);
    const nearest = this.#nearest(tfidfVector(features, this.#df));
    const votes = new Map<string, number>();
    let total = 0;
    for (const [example, similarity] of nearest) {
      const weight = similarity ** this.sharpness;
      total += weight;
      for (const tag of this.#examples[example]!.tags)
        votes.set(tag, (votes.get(tag) ?? 0) + weight);
    }
    if (total === 0) return [];
    return [...votes]
      .filter(([tag]) => !exclude.has(tag))
      .map(([tag, vote]) => ({ tag, score: vote / total }))
      .filter((t) => t.score >= (options.minScore ?? 0))
      .sort((a, b) => b.score - a.score || (a.tag < b.tag ? -1 : 1))
      .slice(0, limit);
  }

  /**
   * The `neighbours` examples most similar to the query (dot product of TF-IDF vectors), best
   * first, ties to the earlier example: accumulated in a dense array, selected with a heap.
   */
  #nearest(query: SparseVector): Array<[number, number]> {
    const scores = this.#scores;
    const touched: number[] = [];
    for (const [feature, weight] of query) {
      const list = this.#postings.get(feature);
      if (!list) continue;
      const { examples, weights } = list;
      for (let i = 0; i < examples.length; i++) {
        const example = examples[i]!;
        if (scores[example] === 0) touched.push(example);
        scores[example]! += weight * weights[i]!;
      }
    }
    const heap = new NearestHeap(this.neighbours);
    for (const example of touched) {
      heap.offer(example, scores[example]!);
      scores[example] = 0;
    }
    return heap.best();
  }
}

/** Postings kept per feature by default (see `TagInferrerOptions.maxPostings`). */
const DEFAULT_MAX_POSTINGS = 5_000;

/** The k best (example, score) pairs seen: a min-heap whose root is the worst kept. */
class NearestHeap {
  readonly #examples: number[] = [];
  readonly #scores: number[] = [];

  constructor(private readonly k: number) {}

  offer(example: number, score: number): void {
    const n = this.#examples.length;
    if (n < this.k) {
      this.#examples.push(example);
      this.#scores.push(score);
      this.#up(n);
    } else if (this.#better(example, score, 0)) {
      this.#examples[0] = example;
      this.#scores[0] = score;
      this.#down(0);
    }
  }

  best(): Array<[number, number]> {
    return this.#examples
      .map((example, i): [number, number] => [example, this.#scores[i]!])
      .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  }

  /** Whether (example, score) ranks above the entry at slot i. */
  #better(example: number, score: number, i: number): boolean {
    const other = this.#scores[i]!;
    return score > other || (score === other && example < this.#examples[i]!);
  }

  #swap(i: number, j: number): void {
    [this.#examples[i], this.#examples[j]] = [this.#examples[j]!, this.#examples[i]!];
    [this.#scores[i], this.#scores[j]] = [this.#scores[j]!, this.#scores[i]!];
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#better(this.#examples[parent]!, this.#scores[parent]!, i)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#examples.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < n && !this.#better(this.#examples[left]!, this.#scores[left]!, worst))
        worst = left;
      if (right < n && !this.#better(this.#examples[right]!, this.#scores[right]!, worst))
        worst = right;
      if (worst === i) return;
      this.#swap(i, worst);
      i = worst;
    }
  }
}
