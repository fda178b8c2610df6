/** Tags are matched case-insensitively: the rule lives with the embeddings, which share it. */
export { normalizeTag, normalizeTags } from '@feedmesh/embeddings';

/** The first `max` UTF-16 units of `text`, not cutting a surrogate pair in half. */
export function summarize(text: string, max = 280): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const cut = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return text.slice(0, cut);
}
