import { normalizeKeyword, type Analyzer, type Token } from './analyzer.js';
import type { PhraseClause, SearchQuery } from './search-query.js';

export type ParsedText = Pick<SearchQuery, 'terms' | 'phrases' | 'tags' | 'blogs'>;

const QUOTES = /["“”„]/g;
const PHRASE = /"([^"]*)"/g;
const BLOG_FILTER = /^blog:(.+)$/i;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/u;

/**
 * Reads the `query` of a search: "quoted phrases", `#tag` and `blog:name` filters, and the rest
 * as words. A quote without its partner is read as a word boundary, not an error. Stop words
 * vanish: a query of nothing else has no clauses, and so matches nothing.
 */
export function parseQueryText(text: string, analyzer: Analyzer): ParsedText {
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
  const blogs: string[] = [];
  const words: string[] = [];
  for (const chunk of rest.split(/\s+/)) {
    if (chunk.length > 1 && chunk.startsWith('#')) {
      const tag = normalizeKeyword(chunk.replace(TRAILING_PUNCTUATION, ''));
      if (tag !== '') tags.push(tag);
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
  return { terms, phrases, tags: unique(tags), blogs: unique(blogs) };
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
