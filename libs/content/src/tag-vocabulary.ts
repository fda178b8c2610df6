import { singularTagWord } from './tag-plural.js';

/** Tags longer than this are sentences, not tags, and are dropped. */
const MAX_TAG_LENGTH = 64;
/** Posts with more tags than this count only their first ones toward co-occurrence (stuffing). */
const MAX_TAGS_COUNTED = 30;

/**
 * Invisible characters that sneak into pasted tags: soft hyphen, Arabic letter mark, zero-width
 * space, direction marks, embeddings and isolates, word joiner, BOM. Joiners (ZWJ, ZWNJ) carry
 * meaning in emoji and Persian and stay.
 */
const INVISIBLE =
  /[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu;
/** What makes a tag more than punctuation: a letter, a digit, an emoji or a flag's letters. */
const MEANINGFUL = /[\p{L}\p{N}\p{Extended_Pictographic}\p{Regional_Indicator}]/u;
/**
 * What `compactTag` drops: all but letters, marks, digits, emoji, flags' letters, '+' and '#';
 * and the text and emoji presentation selectors, which draw one symbol two ways ("❤", "❤️").
 */
const NOT_COMPACT =
  /[^\p{L}\p{M}\p{N}\p{Extended_Pictographic}\p{Regional_Indicator}+#]|[\ufe0e\ufe0f]/gu;

/**
 * A tag's rule-based key: Unicode-normalized, invisible characters removed, lower-case (a
 * dotted capital I is an i), without leading '#', '_' and runs of spaces as one space, and
 * its last word singular when it is plainly a regular English plural ("Cute Cats" -> "cute
 * cat", "puppies" -> "puppy"). The plural is read from the tag as spelled, case and all, and
 * folded conservatively (see `singularTagWord`), since tags are often names: "iOS", "BTS",
 * "texas", "star wars", "chaos" and "always" stay as they are. Empty for a tag that is only
 * punctuation; an emoji is a tag ("🌸", "🏳️‍🌈", "🇫🇷").
 */
export function tagKey(raw: string): string {
  const spelled = raw
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .replace(/^[#\s]+/u, '')
    .replace(/[_\s]+/gu, ' ')
    .trim();
  const cleaned = spelled.toLowerCase().replace(/i\u0307/gu, 'i');
  if (cleaned === '' || cleaned.length > MAX_TAG_LENGTH || !MEANINGFUL.test(cleaned)) {
    return '';
  }
  const parts = cleaned.split(' ');
  // Lower-casing adds or removes no spaces: the last words of the two spellings are one word.
  parts[parts.length - 1] = singularTagWord(parts.at(-1)!, spelled.split(' ').at(-1)!);
  return parts.join(' ');
}

/**
 * A key without spaces or punctuation: "sci-fi", "sci fi" and "scifi" compare equal. '+' and
 * '#' stay: they are the name in "c++", "c#" and "f#", which are not "c" and "f". Marks stay
 * too: a Devanagari or Thai vowel sign is a letter of the word ("हिंदी", Hindi, is not "हिंदू",
 * Hindu). So do emoji: "🌸" is not "✨", though neither has a letter.
 */
export function compactTag(key: string): string {
  return key.replace(NOT_COMPACT, '');
}

export interface TagVocabularyOptions {
  /** Tags seen on fewer posts than this take part in no learned synonym. */
  readonly minCount?: number;
  /**
   * Two tags that appear together on at least this share of the posts of each (both
   * conditional probabilities) are one topic: "hp" and "harry potter".
   */
  readonly minMutualShare?: number;
  /**
   * Tags that resemble each other in spelling (a typo, an initialism) are merged when the
   * tags they appear with are this similar (cosine of co-occurrence vectors).
   */
  readonly minContextCosine?: number;
}

export interface TagVocabularyJson {
  readonly format: 'feedmesh.tag-vocabulary/1';
  /** Key -> canonical key, for every key that is an alias. */
  readonly synonyms: Readonly<Record<string, string>>;
  /** Canonical key -> number of training posts it appeared on (its aliases' included). */
  readonly counts: Readonly<Record<string, number>>;
}

/**
 * Normalizes tags (case, '#', plural) and maps learned synonyms to one canonical tag, the most
 * used of each group. Synonyms are learned from the tags' co-occurrence on posts:
 * spelling variants ("sci-fi"/"scifi"), tags nearly always used together, and look-alike tags
 * (typos, initialisms) used with the same other tags.
 */
export class TagVocabulary {
  readonly #synonyms: Map<string, string>;
  readonly #counts: Map<string, number>;

  private constructor(synonyms: Map<string, string>, counts: Map<string, number>) {
    this.#synonyms = synonyms;
    this.#counts = counts;
  }

  /** A vocabulary with the rules only and no learned synonyms. */
  static empty(): TagVocabulary {
    return new TagVocabulary(new Map(), new Map());
  }

  static train(
    tagLists: Iterable<readonly string[]>,
    options: TagVocabularyOptions = {},
  ): TagVocabulary {
    const minCount = options.minCount ?? 3;
    const minMutualShare = options.minMutualShare ?? 0.8;
    const minContextCosine = options.minContextCosine ?? 0.5;
    const counts = new Map<string, number>();
    const pairs = new Map<string, Map<string, number>>();
    /** Posts with two or more keys: two of them may turn out one tag, to count once. */
    const multiTagged: string[][] = [];
    for (const raw of tagLists) {
      const keys = [...new Set(raw.map(tagKey).filter((k) => k !== ''))].slice(0, MAX_TAGS_COUNTED);
      for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
      if (keys.length >= 2) multiTagged.push(keys);
      for (let i = 0; i < keys.length; i++) {
        for (let j = 0; j < keys.length; j++) {
          if (i === j) continue;
          let row = pairs.get(keys[i]!);
          if (!row) pairs.set(keys[i]!, (row = new Map()));
          row.set(keys[j]!, (row.get(keys[j]!) ?? 0) + 1);
        }
      }
    }
    const groups = new UnionFind();
    const byCompact = new Map<string, string>();
    for (const key of counts.keys()) {
      const compact = compactTag(key);
      const other = byCompact.get(compact);
      if (other === undefined) byCompact.set(compact, key);
      else groups.union(key, other);
    }
    const frequent = [...counts.entries()].filter(([, n]) => n >= minCount).map(([k]) => k);
    const norms = new Map(frequent.map((k) => [k, contextNorm(pairs.get(k))]));
    for (const a of frequent) {
      const countA = counts.get(a)!;
      for (const [b, together] of pairs.get(a) ?? []) {
        if (b <= a || (counts.get(b) ?? 0) < minCount) continue;
        if (together / Math.max(countA, counts.get(b)!) >= minMutualShare) groups.union(a, b);
      }
    }
    for (const [a, b] of lookAlikePairs(frequent)) {
      if (contextCosine(pairs.get(a), pairs.get(b), a, b, norms) >= minContextCosine) {
        groups.union(a, b);
      }
    }
    const synonyms = new Map<string, string>();
    const groupCounts = new Map<string, number>();
    for (const members of groups.groups().values()) {
      const canonical = members.reduce((best, key) =>
        (counts.get(key) ?? 0) > (counts.get(best) ?? 0) ||
        ((counts.get(key) ?? 0) === (counts.get(best) ?? 0) && key < best)
          ? key
          : best,
      );
      for (const key of members) if (key !== canonical) synonyms.set(key, canonical);
    }
    for (const [key, n] of counts) {
      const canonical = synonyms.get(key) ?? key;
      groupCounts.set(canonical, (groupCounts.get(canonical) ?? 0) + n);
    }
    // A post that carried a tag and its alias ("harry potter", "hp") is one post of the tag.
    for (const keys of multiTagged) {
      const seen = new Set<string>();
      for (const key of keys) {
        const canonical = synonyms.get(key) ?? key;
        if (seen.has(canonical)) groupCounts.set(canonical, groupCounts.get(canonical)! - 1);
        else seen.add(canonical);
      }
    }
    return new TagVocabulary(synonyms, groupCounts);
  }

  static fromJSON(json: TagVocabularyJson): TagVocabulary {
    return new TagVocabulary(
      new Map(Object.entries(json.synonyms)),
      new Map(Object.entries(json.counts)),
    );
  }

  toJSON(): TagVocabularyJson {
    return {
      format: 'feedmesh.tag-vocabulary/1',
      synonyms: Object.fromEntries([...this.#synonyms].sort(([a], [b]) => (a < b ? -1 : 1))),
      counts: Object.fromEntries(this.#counts),
    };
  }

  /** The canonical form of one tag, or '' for a tag to drop. */
  canonical(raw: string): string {
    const key = tagKey(raw);
    return this.#synonyms.get(key) ?? key;
  }

  /** A post's tags, canonical, without duplicates or empties, in their first order. */
  normalize(raw: readonly string[]): string[] {
    const out = new Set<string>();
    for (const tag of raw) {
      const canonical = this.canonical(tag);
      if (canonical !== '') out.add(canonical);
    }
    return [...out];
  }

  /** Learned aliases of a canonical tag. */
  aliasesOf(canonical: string): string[] {
    return [...this.#synonyms].filter(([, c]) => c === canonical).map(([alias]) => alias);
  }

  /** Training posts that carried the tag or one of its aliases. */
  count(canonical: string): number {
    return this.#counts.get(canonical) ?? 0;
  }

  get synonymCount(): number {
    return this.#synonyms.size;
  }
}

/**
 * Pairs of tags where one is a typo of the other (edit distance 1 on compact forms of 5+
 * characters, found through shared single-deletion variants) or an initialism of it
 * ("nyc" / "new york city"). Blocking keeps this linear in the number of tags.
 */
function lookAlikePairs(keys: readonly string[]): Array<[string, string]> {
  const found = new Map<string, [string, string]>();
  const add = (a: string, b: string): void => {
    if (a === b) return;
    const pair: [string, string] = a < b ? [a, b] : [b, a];
    found.set(pair.join('\u0000'), pair);
  };
  const byVariant = new Map<string, string[]>();
  const byInitials = new Map<string, string[]>();
  for (const key of keys) {
    const compact = compactTag(key);
    // By code point: an emoji or a rare Han character is two UTF-16 units, one character.
    const chars = [...compact];
    if (chars.length >= 5) {
      const variants = new Set([compact]);
      for (let i = 0; i < chars.length; i++)
        variants.add(chars.slice(0, i).join('') + chars.slice(i + 1).join(''));
      for (const variant of variants) {
        const list = byVariant.get(variant) ?? [];
        for (const other of list) add(key, other);
        list.push(key);
        byVariant.set(variant, list);
      }
    }
    const words = key.split(/[\s-]+/u).filter(Boolean);
    if (words.length >= 2) {
      const initials = words.map((w) => w[0]).join('');
      byInitials.set(initials, [...(byInitials.get(initials) ?? []), key]);
    }
  }
  for (const key of keys) {
    for (const long of byInitials.get(compactTag(key)) ?? []) add(key, long);
  }
  return [...found.values()];
}

function contextNorm(row: ReadonlyMap<string, number> | undefined): number {
  let sum = 0;
  for (const n of row?.values() ?? []) sum += n * n;
  return Math.sqrt(sum);
}

/** Cosine of two tags' co-occurrence rows, leaving out the two tags themselves. */
function contextCosine(
  rowA: ReadonlyMap<string, number> | undefined,
  rowB: ReadonlyMap<string, number> | undefined,
  a: string,
  b: string,
  norms: ReadonlyMap<string, number>,
): number {
  if (!rowA || !rowB) return 0;
  let dot = 0;
  for (const [tag, n] of rowA) {
    if (tag === a || tag === b) continue;
    dot += n * (rowB.get(tag) ?? 0);
  }
  const normA = Math.sqrt((norms.get(a) ?? 0) ** 2 - (rowA.get(b) ?? 0) ** 2);
  const normB = Math.sqrt((norms.get(b) ?? 0) ** 2 - (rowB.get(a) ?? 0) ** 2);
  return normA === 0 || normB === 0 ? 0 : dot / (normA * normB);
}

class UnionFind {
  readonly #parent = new Map<string, string>();

  find(x: string): string {
    if (!this.#parent.has(x)) this.#parent.set(x, x);
    let root = x;
    while (this.#parent.has(root) && this.#parent.get(root) !== root)
      root = this.#parent.get(root)!;
    let node = x;
    while (node !== root) {
      const next = this.#parent.get(node) ?? root;
      this.#parent.set(node, root);
      node = next;
    }
    return root;
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.#parent.set(ra, rb);
  }

  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const key of this.#parent.keys()) {
      const root = this.find(key);
      let members = out.get(root);
      if (!members) out.set(root, (members = []));
      members.push(key);
    }
    return out;
  }
}
