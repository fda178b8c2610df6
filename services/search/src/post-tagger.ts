import {
  contentFeatures,
  TagVocabulary,
  type ContentModels,
  type TagInferrer,
} from '@feedmesh/content';
import { normalizeKeyword } from './engine/index.js';

export interface PostTaggerOptions {
  /** Posts with fewer canonical tags than this get inferred ones (as `understandPost`). */
  readonly inferBelowTags?: number;
  readonly inferredTagLimit?: number;
  /** Inferred tags below this share of the neighbours' votes are not indexed. */
  readonly minInferredScore?: number;
}

/**
 * The tags search derives for a post with `@feedmesh/content`'s models: the canonical form of
 * each of the author's tags (case, plural, learned synonyms: "Cats" is also "cat", "scifi"
 * also "sci-fi"), and, for a post with few or no tags, the tags a tag inferrer votes for from
 * its text. Indexed beside the author's tags, so `tag:cat` and a query for "cat" find a post
 * tagged "#Cats", and a post with no tags is found by the tags its text implies.
 *
 * Uses the vocabulary and the tag inferrer of `understandPost`, not all of it: language
 * detection and the MinHash signature are most of its cost, and search needs neither.
 */
export class PostTagger {
  private readonly vocabulary: TagVocabulary;
  private readonly inferrer: TagInferrer | undefined;

  constructor(
    models: ContentModels = {},
    private readonly options: PostTaggerOptions = {},
  ) {
    this.vocabulary = models.vocabulary ?? TagVocabulary.empty();
    this.inferrer = models.tagInferrer;
  }

  /** Derived tags the author's do not already carry (by the index's tag key), best first. */
  derivedTags(text: string, authorTags: readonly string[]): string[] {
    const canonical = this.vocabulary.normalize(authorTags);
    const inferred =
      this.inferrer && canonical.length < (this.options.inferBelowTags ?? 3)
        ? this.inferrer
            .infer(contentFeatures(text, canonical), {
              limit: this.options.inferredTagLimit ?? 3,
              exclude: canonical,
              minScore: this.options.minInferredScore ?? 0.2,
            })
            .map((t) => t.tag)
        : [];
    const seen = new Set(authorTags.map(normalizeKeyword));
    const derived: string[] = [];
    for (const tag of [...canonical, ...inferred]) {
      const key = normalizeKeyword(tag);
      if (key === '' || seen.has(key)) continue;
      seen.add(key);
      derived.push(tag);
    }
    return derived;
  }
}
