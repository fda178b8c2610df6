import type { DocumentFrequencies } from './document-frequencies.js';
import { terms } from './text.js';

export interface Keyword {
  /** The index term (a stem): what search and the models match on. */
  readonly term: string;
  /** The text's most frequent word for the term, to show people. */
  readonly word: string;
  /** Sublinear TF-IDF, L2-normalized over the text's terms. */
  readonly weight: number;
}

/** A text's top terms by TF-IDF against corpus document frequencies, heaviest first. */
export function extractKeywords(text: string, df: DocumentFrequencies, limit = 10): Keyword[] {
  const counts = new Map<string, number>();
  const wordCounts = new Map<string, Map<string, number>>();
  for (const { term, word } of terms(text)) {
    counts.set(term, (counts.get(term) ?? 0) + 1);
    let byWord = wordCounts.get(term);
    if (!byWord) wordCounts.set(term, (byWord = new Map()));
    byWord.set(word, (byWord.get(word) ?? 0) + 1);
  }
  const weighted = [...counts].map(([term, n]) => ({
    term,
    weight: (1 + Math.log(n)) * df.idf(term),
  }));
  const norm = Math.sqrt(weighted.reduce((sum, k) => sum + k.weight * k.weight, 0));
  return weighted
    .sort((a, b) => b.weight - a.weight || (a.term < b.term ? -1 : 1))
    .slice(0, limit)
    .map(({ term, weight }) => ({
      term,
      word: mostFrequent(wordCounts.get(term)!),
      weight: norm === 0 ? 0 : weight / norm,
    }));
}

function mostFrequent(counts: ReadonlyMap<string, number>): string {
  let best = '';
  let bestCount = -1;
  for (const [word, n] of counts) {
    if (n > bestCount || (n === bestCount && word < best)) {
      best = word;
      bestCount = n;
    }
  }
  return best;
}
