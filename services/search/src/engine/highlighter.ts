import type { Token } from './analyzer.js';

export const OPEN_MARK = '«';
export const CLOSE_MARK = '»';
export const MAX_SNIPPET_LENGTH = 200;
const ELLIPSIS = '…';
/** Context kept before the first match of the chosen window. */
const LEAD_CONTEXT = 40;

interface Span {
  start: number;
  end: number;
  term: string;
}

/** The spans of tokens whose term is wanted, overlapping ones merged (a hashtag and its word). */
export function matchedSpans(tokens: readonly Token[], wanted: ReadonlySet<string>): Span[] {
  const spans = tokens
    .filter((token) => wanted.has(token.term))
    .map((token) => ({ start: token.start, end: token.end, term: token.term }))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last !== undefined && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

/**
 * A window of `text` of at most `maxLength` chars (marks and ellipses included) around the
 * densest cluster of matches, with each match wrapped in « ». Undefined when nothing matched.
 */
export function snippet(
  text: string,
  spans: readonly Span[],
  maxLength = MAX_SNIPPET_LENGTH,
): string | undefined {
  if (spans.length === 0) return undefined;
  const first = densestWindowStart(spans, maxLength * 0.75);
  const anchor = spans[first]?.start ?? 0;
  let from = Math.max(0, anchor - LEAD_CONTEXT);
  if (from > 0) {
    // Start at a word boundary rather than mid-word.
    const space = text.slice(from, anchor).search(/\s/);
    from = space < 0 ? anchor : from + space + 1;
  }
  from = safeCut(text, from);

  let out = from > 0 ? ELLIPSIS : '';
  let position = from;
  for (let i = first; position < text.length; i += 1) {
    const span = spans[i];
    const plainEnd = span === undefined ? text.length : span.start;
    const room = maxLength - out.length;
    const tail = plainEnd < text.length ? ELLIPSIS.length : 0;
    if (plainEnd - position > room - tail) {
      const cut = wordCut(text, position, position + Math.max(0, room - ELLIPSIS.length));
      return out + text.slice(position, cut) + ELLIPSIS;
    }
    out += text.slice(position, plainEnd);
    position = plainEnd;
    if (span === undefined) break;
    const marked = OPEN_MARK + text.slice(span.start, span.end) + CLOSE_MARK;
    const after = span.end < text.length ? ELLIPSIS.length : 0;
    if (out.length + marked.length + after > maxLength) return out.trimEnd() + ELLIPSIS;
    out += marked;
    position = span.end;
  }
  return out;
}

/** Every match of a short value (a blog name, a tag) marked, without windowing. */
export function markAll(text: string, spans: readonly Span[]): string {
  let out = '';
  let position = 0;
  for (const span of spans) {
    out +=
      text.slice(position, span.start) + OPEN_MARK + text.slice(span.start, span.end) + CLOSE_MARK;
    position = span.end;
  }
  return out + text.slice(position);
}

/** Index of the span that starts the window of `width` chars holding the most distinct terms. */
function densestWindowStart(spans: readonly Span[], width: number): number {
  let best = 0;
  let bestDistinct = 0;
  for (let i = 0; i < spans.length; i += 1) {
    const start = spans[i]?.start ?? 0;
    const terms = new Set<string>();
    for (let j = i; j < spans.length && (spans[j]?.end ?? 0) - start <= width; j += 1) {
      terms.add(spans[j]?.term ?? '');
    }
    if (terms.size > bestDistinct) {
      best = i;
      bestDistinct = terms.size;
    }
  }
  return best;
}

/** Cuts at the last whitespace before `limit` when there is one nearby, never inside a pair. */
function wordCut(text: string, from: number, limit: number): number {
  const window = text.slice(from, limit);
  const space = window.search(/\s\S*$/);
  const cut = space > window.length / 2 ? from + space : limit;
  return safeCut(text, cut);
}

/** Moves a cut off the middle of a surrogate pair. */
function safeCut(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return at > 0 && code >= 0xdc00 && code <= 0xdfff ? at - 1 : at;
}
