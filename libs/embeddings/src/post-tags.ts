/**
 * How a post's tags are matched, shared by the trainer (tag vectors) and candidate generation
 * (its indexes and fold-in), so both name a tag the same way: "Cats", "#cats" and "cats" are
 * one tag.
 */
export function normalizeTag(raw: string): string {
  return raw.trim().replace(/^#+/, '').trim().toLowerCase();
}

/** A post's tags, normalized, without duplicates, empty or over-long ones, in their first order. */
export function normalizeTags(raw: readonly string[]): string[] {
  const tags = new Set<string>();
  for (const tag of raw) {
    const normalized = normalizeTag(tag);
    if (normalized !== '' && normalized.length <= 64) tags.add(normalized);
  }
  return [...tags];
}
