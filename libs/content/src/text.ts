import { stemmer } from 'stemmer';
import { eng } from 'stopword';

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"']+/giu;
/** Marks (\p{M}) belong to their word: Devanagari vowel signs and viramas, Thai vowels, accents. */
const WORD_PATTERN = /[\p{L}\p{N}][\p{L}\p{N}\p{M}'’]*/gu;
/**
 * Scripts written without spaces between words: ICU's word segmentation (Intl.Segmenter) finds
 * the words. Search's analyzer splits by the same test.
 */
export const UNSPACED_SCRIPT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
/** A word of one Han character is a word ("猫", cat), not a stray letter. */
const SINGLE_HAN = /^\p{Script=Han}$/u;
const SEGMENTER = new Intl.Segmenter(undefined, { granularity: 'word' });
const STOPWORDS: ReadonlySet<string> = new Set(eng);

/** The links in a text (http(s) URLs and bare www. addresses). */
export function findLinks(text: string): string[] {
  return text.match(URL_PATTERN) ?? [];
}

/** The text with its links blanked out. */
export function withoutLinks(text: string): string {
  return text.replace(URL_PATTERN, ' ');
}

/**
 * Lower-cased, NFKC-normalized words of a text, links removed, apostrophes dropped ("don't" is
 * "dont"). Chinese, Japanese, Thai and other scripts without spaces are split into words.
 */
export function words(text: string): string[] {
  const found = withoutLinks(text).normalize('NFKC').toLowerCase().match(WORD_PATTERN) ?? [];
  const out: string[] = [];
  for (const run of found) {
    if (!UNSPACED_SCRIPT.test(run)) {
      out.push(run.replace(/['’]/gu, ''));
      continue;
    }
    for (const part of SEGMENTER.segment(run)) {
      if (part.isWordLike) out.push(part.segment.replace(/['’]/gu, ''));
    }
  }
  return out;
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** A word as an index term: its Porter stem (English; other languages pass through lower-cased). */
export function stem(word: string): string {
  return /^[a-z]+$/.test(word) ? stemmer(word) : word;
}

/** A term and the first word of the text it came from, to show a stem as a word. */
export interface Term {
  readonly term: string;
  readonly word: string;
}

/**
 * The index terms of a text: words without stopwords, one-letter words (but for one Han
 * character, a word of its own) and bare numbers (years stay: four digits say when), stemmed,
 * in text order with repeats.
 */
export function terms(text: string): Term[] {
  const out: Term[] = [];
  for (const word of words(text)) {
    if ((word.length < 2 && !SINGLE_HAN.test(word)) || isStopword(word)) continue;
    if (/^\p{N}+$/u.test(word) && word.length !== 4) continue;
    out.push({ term: stem(word), word });
  }
  return out;
}

/**
 * Overlapping k-word shingles of a text, for near-duplicate detection: stopwords kept (they
 * carry the phrasing), links dropped (reposts often swap them).
 */
export function shingles(text: string, size = 3): string[] {
  const tokens = words(text);
  if (tokens.length === 0) return [];
  if (tokens.length <= size) return [tokens.join(' ')];
  const out: string[] = [];
  for (let i = 0; i + size <= tokens.length; i++) out.push(tokens.slice(i, i + size).join(' '));
  return out;
}
