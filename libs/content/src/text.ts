import { stemmer } from 'stemmer';
import {
  bul,
  ces,
  deu,
  eng,
  fra,
  hrv,
  hun,
  ind,
  ita,
  nld,
  pol,
  por,
  ron,
  rus,
  spa,
  swe,
  tur,
  ukr,
} from 'stopword';
import { decodeCharacterReferences } from './character-references.js';
import { detectLanguage } from './language.js';

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
/**
 * Stopwords of the other languages franc can name that have a list, keyed by its ISO 639-3
 * code, spelled as `words` spells them (apostrophes dropped).
 */
const OTHER_STOPWORDS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    bul,
    ces,
    deu,
    fra,
    hrv,
    hun,
    ind,
    ita,
    nld,
    pol,
    por,
    ron,
    rus,
    spa,
    swe,
    tur,
    ukr,
  }).map(([code, list]) => [
    code,
    new Set(list.map((word) => word.normalize('NFKC').toLowerCase().replace(/['’]/gu, ''))),
  ]),
);

/*
 * Each exported function here takes a post's raw text and decodes its HTML character
 * references itself, exactly once (decoding twice would turn the text "&amp;lt;" into "<").
 */

/** The links in a text (http(s) URLs and bare www. addresses), character references decoded. */
export function findLinks(text: string): string[] {
  return decodeCharacterReferences(text).match(URL_PATTERN) ?? [];
}

/** The text with its character references decoded and its links blanked out. */
export function withoutLinks(text: string): string {
  return decodeCharacterReferences(text).replace(URL_PATTERN, ' ');
}

/**
 * Lower-cased, NFKC-normalized words of a text, HTML character references decoded ("Tom &amp;
 * Jerry" is "tom", "jerry"), links removed, apostrophes dropped ("don't" is "dont"). Chinese,
 * Japanese, Thai and other scripts without spaces are split into words.
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
 * The index terms of a text: words without stopwords (English ones, and those of the text's
 * language), one-letter words (but for one Han character, a word of its own) and bare numbers
 * (years stay: four digits say when), stemmed, in text order with repeats.
 */
export function terms(text: string): Term[] {
  const out: Term[] = [];
  const found = words(text);
  const otherStopwords = stopwordsOfLanguage(text, found);
  for (const word of found) {
    if ((word.length < 2 && !SINGLE_HAN.test(word)) || isStopword(word)) continue;
    if (otherStopwords?.has(word)) continue;
    if (/^\p{N}+$/u.test(word) && word.length !== 4) continue;
    out.push({ term: stem(word), word });
  }
  return out;
}

/**
 * The stopwords of the language a text is written in, when that is not English (whose
 * stopwords always go): the language franc names, provided the text uses more of that
 * language's stopwords than of English's. franc alone takes some short English texts for
 * Italian, and an English "die", "war" or "hat" is a word, not a German stopword. franc runs
 * only when another language's stopwords outnumber English's, and reads the first 2,000
 * characters.
 */
function stopwordsOfLanguage(
  text: string,
  found: readonly string[],
): ReadonlySet<string> | undefined {
  const english = found.filter((word) => STOPWORDS.has(word)).length;
  const beats = (stopwords: ReadonlySet<string>) =>
    found.filter((word) => stopwords.has(word)).length > english;
  if (![...OTHER_STOPWORDS.values()].some(beats)) return undefined;
  const stopwords = OTHER_STOPWORDS.get(detectLanguage(text.slice(0, 2000)));
  return stopwords && beats(stopwords) ? stopwords : undefined;
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
