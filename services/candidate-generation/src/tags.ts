/** Tags are matched case-insensitively: "Cats", "#cats" and "cats" are one tag. */
export function normalizeTag(raw: string): string {
  return raw.trim().replace(/^#+/, '').trim().toLowerCase();
}

/** A post's tags, normalized, without duplicates or empty ones, in their first order. */
export function normalizeTags(raw: readonly string[]): string[] {
  const tags = new Set<string>();
  for (const tag of raw) {
    const normalized = normalizeTag(tag);
    if (normalized !== '' && normalized.length <= 64) tags.add(normalized);
  }
  return [...tags];
}

/** The first `max` UTF-16 units of `text`, not cutting a surrogate pair in half. */
export function summarize(text: string, max = 280): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const cut = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return text.slice(0, cut);
}
