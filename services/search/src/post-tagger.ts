import {
  contentFeatures,
  TagVocabulary,
  type ContentModels,
  type TagInferrer,
} from '@feedmesh/content';
import { normalizeKeyword } from './engine/index.js';

export interface PostTaggerOptions {
  /**
   * Posts with fewer canonical tags than this get inferred ones. Default 2: none or one tag
   * (about a millisecond a post with a large site's models, so not for well-tagged posts).
   */
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
  private vocabulary!: TagVocabulary;
  private inferrer: TagInferrer | undefined;

  constructor(
    models: ContentModels = {},
    private readonly options: PostTaggerOptions = {},
  ) {
    this.useModels(models);
  }

  /**
   * Tags the posts indexed from now on with newly trained models (the trainer's latest
   * publish); posts indexed before keep the tags they were given.
   */
  useModels(models: ContentModels): void {
    this.vocabulary = models.vocabulary ?? TagVocabulary.empty();
    this.inferrer = models.tagInferrer;
  }

  /**
   * The canonical form of one tag under the current models ('' for none): what a post
   * carrying `raw` is filed under, so a query's tag filter admits it too.
   */
  canonicalTag(raw: string): string {
    return this.vocabulary.canonical(raw);
  }

  /** Derived tags the author's do not already carry (by the index's tag key), best first. */
  derivedTags(text: string, authorTags: readonly string[]): string[] {
    const canonical = this.vocabulary.normalize(authorTags);
    const inferred =
      this.inferrer && canonical.length < (this.options.inferBelowTags ?? 2)
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
