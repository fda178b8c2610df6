import { normalizeKeyword, type Analyzer, type Token } from './analyzer.js';
import type { PhraseClause, SearchQuery } from './search-query.js';

export type ParsedText = Pick<SearchQuery, 'terms' | 'phrases' | 'tags' | 'blogs'> & {
  readonly tagAlternatives: ReadonlyMap<string, readonly string[]>;
};

export interface ParseOptions {
  /**
   * Another form of a tag, from the tag as typed (without trailing punctuation): the service
   * gives the canonical form under its content models, so `#cats` also admits posts filed
   * under "cat". Normalized here; '' or the tag's own key adds nothing.
   */
  readonly canonicalTag?: (raw: string) => string;
}

const QUOTES = /["“”„]/g;
const PHRASE = /"([^"]*)"/g;
const BLOG_FILTER = /^blog:(.+)$/i;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/u;

/**
 * Reads the `query` of a search: "quoted phrases", `#tag` and `blog:name` filters, and the rest
 * as words. A quote without its partner is read as a word boundary, not an error. Stop words
 * vanish: a query of nothing else has no clauses, and so matches nothing.
 */
export function parseQueryText(
  text: string,
  analyzer: Analyzer,
  options: ParseOptions = {},
): ParsedText {
  const phrases: PhraseClause[] = [];
  const quoted = text.replace(QUOTES, '"');
  const rest = quoted
    .replace(PHRASE, (_match, inner: string) => {
      const phrase = phraseOf(analyzer.analyze(inner));
      if (phrase !== undefined) phrases.push(phrase);
      return ' ';
    })
    .replace(/"/g, ' ');

  const tags: string[] = [];
  const tagAlternatives = new Map<string, string[]>();
  const blogs: string[] = [];
  const words: string[] = [];
  for (const chunk of rest.split(/\s+/)) {
    if (chunk.length > 1 && chunk.startsWith('#')) {
      const raw = chunk.replace(TRAILING_PUNCTUATION, '');
      const tag = normalizeKeyword(raw);
      if (tag !== '') {
        tags.push(tag);
        addTagAlternative(tagAlternatives, tag, raw, options.canonicalTag);
      }
      continue;
    }
    const blog = BLOG_FILTER.exec(chunk)?.[1]?.replace(TRAILING_PUNCTUATION, '');
    if (blog !== undefined && blog !== '') {
      blogs.push(blog);
      continue;
    }
    words.push(chunk);
  }
  const terms = unique(analyzer.analyze(words.join(' ')).map((token) => token.term));
  return { terms, phrases, tags: unique(tags), tagAlternatives, blogs: unique(blogs) };
}

/** Notes `canonicalTag(raw)` as another key of the filter `tag`, unless it is the same. */
export function addTagAlternative(
  alternatives: Map<string, string[]>,
  tag: string,
  raw: string,
  canonicalTag: ((raw: string) => string) | undefined,
): void {
  if (canonicalTag === undefined) return;
  const key = normalizeKeyword(canonicalTag(raw));
  if (key === '' || key === tag) return;
  const keys = alternatives.get(tag);
  if (keys === undefined) alternatives.set(tag, [key]);
  else if (!keys.includes(key)) keys.push(key);
}

/** One term per position: where a hashtag or mention also yields its words, keep the word. */
function phraseOf(tokens: readonly Token[]): PhraseClause | undefined {
  const byPosition = new Map<number, string>();
  for (const token of tokens) {
    const sigil = token.term.startsWith('#') || token.term.startsWith('@');
    if (!sigil || !byPosition.has(token.position)) byPosition.set(token.position, token.term);
  }
  const positions = [...byPosition.keys()].sort((a, b) => a - b);
  const first = positions[0];
  if (first === undefined) return undefined;
  return {
    terms: positions.map((position) => byPosition.get(position) ?? ''),
    offsets: positions.map((position) => position - first),
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
