import { UNSPACED_SCRIPT } from '@feedmesh/content';
import { stopwords as snowballEnglishStopwords } from '@orama/stopwords/english';
import stem from 'wink-porter2-stemmer';

/** One indexed term and where it came from in the original text. */
export interface Token {
  readonly term: string;
  /** Ordinal of the word in its field; stop words leave gaps, so phrases keep their shape. */
  readonly position: number;
  /** UTF-16 offsets of the source span in the text given to `analyze`. */
  readonly start: number;
  readonly end: number;
}

/** Turns a field's text into terms. Documents and queries must go through the same one. */
export interface Analyzer {
  analyze(text: string, firstPosition?: number): Token[];
}

/** Words longer than this are skipped (they are URLs, hashes, keyboard mashing). */
const MAX_WORD_LENGTH = 64;
const STEM_CACHE_LIMIT = 200_000;

// A hashtag or mention keeps its sigil; words may carry inner apostrophes (don't, it’s).
const WORD_RUN =
  /([#@])?([\p{L}\p{N}\p{M}][\p{L}\p{N}\p{M}_]*(?:['’\-.][\p{L}\p{N}\p{M}][\p{L}\p{N}\p{M}_]*)*)/gu;
const SUBWORD = /[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu;
const COMBINING_DIACRITICS = /[\u0300-\u036f]/g;

/**
 * Lowercase, compatibility-normalized (full-width letters become ASCII) and without the Latin,
 * Greek and Cyrillic combining accents, so "Café" and "cafe" meet. Marks of other scripts
 * (Devanagari vowel signs, kana voicing) carry meaning and are kept.
 */
export function foldCase(text: string): string {
  const lower = text.normalize('NFKC').toLowerCase();
  // Fast path: nothing to decompose.
  if (!/[^\u0000-\u007f]/.test(lower)) return lower;
  return lower
    .normalize('NFD')
    .replace(COMBINING_DIACRITICS, '')
    .normalize('NFC')
    .replace(/’/g, "'");
}

/** A tag or blog name as filters and suggestions compare it: folded, no '#', spaces collapsed. */
export function normalizeKeyword(text: string): string {
  return foldCase(text.trim().replace(/^#+/, '')).replace(/\s+/g, ' ').trim();
}

/**
 * English analysis: Unicode word runs (ICU word segmentation for Chinese, Japanese, Thai...),
 * case and accent folding, the Snowball English stop list, Porter2 (Snowball English)
 * stemming. `#hashtags` and `@mentions` are kept whole as a token and also split into their
 * words at the same position, so "#CuteCats" is found by "#cutecats", and "@alice" by "alice".
 */
export class EnglishAnalyzer implements Analyzer {
  private readonly stopwords: ReadonlySet<string>;
  private readonly stems = new Map<string, string>();
  private readonly segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });

  constructor(options: { stopwords?: Iterable<string> } = {}) {
    this.stopwords = new Set(options.stopwords ?? snowballEnglishStopwords);
  }

  isStopword(word: string): boolean {
    return this.stopwords.has(foldCase(word));
  }

  analyze(text: string, firstPosition = 0): Token[] {
    const tokens: Token[] = [];
    let position = firstPosition;
    for (const match of text.matchAll(WORD_RUN)) {
      const sigil = match[1];
      const body = match[2] ?? '';
      const start = match.index;
      const bodyStart = start + (sigil === undefined ? 0 : 1);
      if (sigil !== undefined) {
        const whole = foldCase(body);
        if (whole.length <= MAX_WORD_LENGTH) {
          tokens.push({ term: sigil + whole, position, start, end: start + match[0].length });
        }
      }
      position = this.words(body, bodyStart, position, tokens);
    }
    return tokens;
  }

  /** The words of one run; returns the next free position. */
  private words(run: string, offset: number, firstPosition: number, into: Token[]): number {
    let position = firstPosition;
    for (const sub of run.matchAll(SUBWORD)) {
      const start = offset + sub.index;
      if (UNSPACED_SCRIPT.test(sub[0])) {
        for (const segment of this.segmenter.segment(sub[0])) {
          if (!segment.isWordLike) continue;
          this.emit(segment.segment, start + segment.index, position, into);
          position += 1;
        }
      } else {
        this.emit(sub[0], start, position, into);
        position += 1;
      }
    }
    return position;
  }

  /** Stop words and overlong words are dropped but keep their position (a gap for phrases). */
  private emit(word: string, start: number, position: number, into: Token[]): void {
    if (word.length > MAX_WORD_LENGTH) return;
    const folded = foldCase(word);
    if (this.stopwords.has(folded)) return;
    into.push({ term: this.stem(folded), position, start, end: start + word.length });
  }

  private stem(word: string): string {
    let stemmed = this.stems.get(word);
    if (stemmed === undefined) {
      stemmed = /\p{L}/u.test(word) ? stem(word) : word;
      if (this.stems.size >= STEM_CACHE_LIMIT) this.stems.clear();
      this.stems.set(word, stemmed);
    }
    return stemmed;
  }
}
