import { terms } from './text.js';

/** Tags enter the models as features of their own, apart from words: "#cat" is not "cat". */
export const TAG_FEATURE_PREFIX = '#';

/**
 * The bag of features the models read for a post: its text's index terms, and its tags
 * (already canonical) as '#tag'.
 */
export function contentFeatures(text: string, tags: readonly string[]): string[] {
  return [...terms(text).map((t) => t.term), ...tags.map((tag) => TAG_FEATURE_PREFIX + tag)];
}
