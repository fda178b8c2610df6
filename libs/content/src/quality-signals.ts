import { findLinks, withoutLinks, words } from './text.js';

export interface QualitySignals {
  readonly wordCount: number;
  readonly linkCount: number;
  /** Links per word (1 link in 10 words is 0.1). */
  readonly linkDensity: number;
  /** Distinct raw tags, before normalization. */
  readonly tagCount: number;
  /** Raw tags that normalized onto another tag of the post ("cat", "Cats", "#cat"). */
  readonly redundantTags: number;
  /** 0 for a normal tag list, rising to 1 for a post stuffed with tags. */
  readonly tagStuffing: number;
  /** Share of letters in upper case (shouting), over texts with 20+ letters, links left out. */
  readonly uppercaseRatio: number;
}

export interface QualityThresholds {
  /** Tag counts up to this are normal; stuffing reaches 1 at three times this. */
  readonly normalTags?: number;
  readonly maxLinks?: number;
}

export function qualitySignals(
  text: string,
  rawTags: readonly string[],
  normalizedTagCount: number,
  thresholds: QualityThresholds = {},
): QualitySignals {
  const normalTags = thresholds.normalTags ?? 10;
  const wordCount = words(text).length;
  const linkCount = findLinks(text).length;
  const tagCount = new Set(rawTags).size;
  // A link's letters are no shouting (bit.ly/AbXYZQ, video ids).
  const prose = withoutLinks(text);
  const letters = prose.match(/\p{L}/gu)?.length ?? 0;
  const upper = prose.match(/\p{Lu}/gu)?.length ?? 0;
  // Many tags on a short text is the stuffing pattern; long posts earn a few more tags.
  const allowed = normalTags + Math.floor(wordCount / 50);
  return {
    wordCount,
    linkCount,
    linkDensity: wordCount === 0 ? linkCount : linkCount / wordCount,
    tagCount,
    redundantTags: Math.max(0, tagCount - normalizedTagCount),
    tagStuffing: Math.min(1, Math.max(0, (tagCount - allowed) / (2 * allowed))),
    uppercaseRatio: letters >= 20 ? upper / letters : 0,
  };
}

/**
 * One spam score in [0, 1] from the signals, for a filter or a ranker feature: the largest of
 * link spam, tag stuffing, shouting, a posting burst and reposted text, so any one alone can
 * flag a post. Hand-set until there are labels to learn it from. Link spam is more than
 * `maxLinks` links, or more than one link on few words: a post sharing one link, with a short
 * caption or none, is an ordinary post.
 */
export function spamScore(
  signals: QualitySignals,
  extra: { burstRatio?: number; repostSimilarity?: number } = {},
  thresholds: QualityThresholds = {},
): number {
  const maxLinks = thresholds.maxLinks ?? 3;
  const links = Math.min(
    1,
    Math.max(0, (signals.linkCount - maxLinks) / maxLinks) +
      (signals.linkCount > 1 ? Math.max(0, signals.linkDensity - 0.2) : 0),
  );
  const shouting = Math.max(0, (signals.uppercaseRatio - 0.6) / 0.4);
  const burst = Math.min(1, Math.max(0, (extra.burstRatio ?? 0) - 1));
  const repost = Math.max(0, ((extra.repostSimilarity ?? 0) - 0.5) / 0.5);
  return Math.min(1, Math.max(links, signals.tagStuffing, shouting, burst, repost));
}
