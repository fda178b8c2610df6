/**
 * Invisible characters that come pasted with a tag: soft hyphen, Arabic letter mark, Mongolian
 * vowel separator, zero-width space, direction marks, embeddings and isolates, word joiner,
 * BOM. The joiners (ZWJ, ZWNJ) spell emoji sequences and Persian words, and stay.
 */
const INVISIBLE =
  /[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu;

/**
 * How a post's tags are matched, shared by the trainer (tag vectors) and candidate generation
 * (its indexes and fold-in), so both name a tag the same way: "Cats", "#cats" and "cats" are
 * one tag, and so are the Unicode spellings of one tag (composed or decomposed accents,
 * full-width letters, invisible characters, a dotted capital I).
 */
export function normalizeTag(raw: string): string {
  return raw
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .toLowerCase()
    .replace(/i\u0307/gu, 'i')
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/^#+/, '')
    .trim();
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
