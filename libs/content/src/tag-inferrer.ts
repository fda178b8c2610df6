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
  readonly #postings = new Map<string, Array<{ example: number; weight: number }>>();

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
    examples.forEach((example, i) => {
      for (const [feature, weight] of tfidfVector(example.features, df)) {
        let list = this.#postings.get(feature);
        if (!list) this.#postings.set(feature, (list = []));
        list.push({ example: i, weight });
      }
    });
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
    const scores = this.#similarities(tfidfVector(features, this.#df));
    const nearest = [...scores]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, this.neighbours);
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

  #similarities(query: SparseVector): Map<number, number> {
    const scores = new Map<number, number>();
    for (const [feature, weight] of query) {
      for (const posting of this.#postings.get(feature) ?? []) {
        scores.set(posting.example, (scores.get(posting.example) ?? 0) + weight * posting.weight);
      }
    }
    return scores;
  }
}
