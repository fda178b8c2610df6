import {
  contentFeatures,
  DocumentFrequencies,
  extractKeywords,
  qualitySignals,
  spamScore,
  TagVocabulary,
  terms,
  type ContentModels,
  type InferredTag,
  type PostContent,
} from '@feedmesh/content';

export interface ContentIndexSettings {
  /** Posts kept in the index, newest by arrival; the oldest leaves first. */
  readonly maxPosts: number;
  /** Terms kept per post: its heaviest keywords and tag words. */
  readonly termsPerPost: number;
  /** Newest posts kept per term (a term on every post keeps only its newest). */
  readonly postsPerTerm: number;
  /** Terms kept per user profile: the heaviest. */
  readonly termsPerProfile: number;
  /**
   * User profiles kept; the least recently engaged user's leaves first (of users last engaged
   * at the same time, the one whose profile was created first).
   */
  readonly maxProfiles: number;
  /**
   * Posts whose engagements arrived before their PostCreated (the log orders a user's events,
   * not a post's against its engagers'), remembered until the post comes; oldest dropped.
   */
  readonly pendingPosts: number;
  /** How fast an interest fades: an engagement this old counts half. */
  readonly interestHalfLifeMs: number;
  /** A tag's weight beside the text's keywords (whose weights have unit length). */
  readonly tagWeight: number;
  /** Posts at or above this spam score (`spamScore` of the post alone) are not indexed. */
  readonly maxSpamScore: number;
}

export const DEFAULT_CONTENT_INDEX_SETTINGS: ContentIndexSettings = {
  maxPosts: 100_000,
  termsPerPost: 12,
  postsPerTerm: 2_000,
  termsPerProfile: 40,
  maxProfiles: 100_000,
  pendingPosts: 10_000,
  interestHalfLifeMs: 14 * 24 * 60 * 60 * 1000,
  tagWeight: 0.6,
  maxSpamScore: 0.8,
};

const RULES_ONLY = TagVocabulary.empty();
const KEYWORDS_PER_POST = 10;
/**
 * Posts with fewer canonical tags than this get inferred ones: those with none or one, whose
 * author said too little to match on. Inference costs about a millisecond a post with a large
 * site's models, so posts the author described well enough are not worth it.
 */
const INFER_BELOW_TAGS = 2;

/** Engagements kept per post that has not arrived: its first engagers say enough. */
const PENDING_PER_POST = 20;

/** One term of a post: the index term (a stem) and its weight (a post's have unit length). */
export interface PostTerm {
  readonly term: string;
  readonly weight: number;
}

interface IndexedPost {
  readonly createdAtMs: number;
  /** Heaviest first, unit length. */
  readonly terms: readonly PostTerm[];
}

interface PendingEngagement {
  readonly userId: string;
  readonly weight: number;
  readonly atMs: number;
}

/**
 * A user's interests in forward decay: an engagement at t adds w · 2^((t − baseMs) / halfLife),
 * so no write rescales the others and the order of arrival does not matter; reading needs no
 * decay either, since every weight shares the factor that brings it to now.
 */
interface Profile {
  weights: Map<string, number>;
  baseMs: number;
  /** The latest engagement's time: the least recent profiles are evicted first. */
  lastMs: number;
}

/** Half-lives past the base before a profile is rebased, well inside a double's range. */
const REBASE_HALF_LIVES = 64;

/** A term's posts in arrival order, as columns: what a match reads without a post lookup. */
interface Postings {
  ids: string[];
  /** The term's weight in each post. */
  weights: number[];
  createdAtMs: number[];
}

/** A post that shares terms with a user's interests. */
export interface ContentMatch {
  readonly postId: string;
  /** Cosine of the post's and the profile's term weights, in (0, 1]. */
  readonly similarity: number;
  readonly createdAtMs: number;
  /** A word for the term that contributed most to the match (the first one indexed for it). */
  readonly about: string;
}

export interface MatchOptions {
  readonly limit: number;
  /** Posts created before this are not matched. */
  readonly createdAfterMs: number;
  /** Profile terms looked up, heaviest first. */
  readonly queryTerms: number;
  /** Posts read per looked-up term, newest first. */
  readonly postsPerQueryTerm: number;
  readonly skip: (postId: string) => boolean;
  /** Matches below this similarity are left out. Default 0. */
  readonly minSimilarity?: number;
  /** How a match's similarity and creation time combine into its rank; default the similarity. */
  readonly rank?: (similarity: number, createdAtMs: number) => number;
}

/**
 * What posts are about, and what users like, in one space of terms: each post's keywords
 * (TF-IDF against document frequencies learned from the posts seen so far) and the words of
 * its canonical and inferred tags; each user's interest profile, the decayed sum of the terms
 * of the posts they engaged with. An inverted index from term to recent posts answers "new
 * posts about what this user likes" without any engagement on the posts, which is what gives
 * a new blog's first post a way in.
 *
 * In process and bounded (posts, posts per term, profiles, terms per profile), like the other
 * indexes, and rebuilt from the log: times come from the events, so a replay builds it again.
 */
export class ContentIndex {
  private readonly posts = new Map<string, IndexedPost>();
  private readonly postings = new Map<string, Postings>();
  /** A word to show for each term of the postings: the first one seen. */
  private readonly words = new Map<string, string>();
  private readonly profiles = new Map<string, Profile>();
  private readonly pending = new Map<string, PendingEngagement[]>();
  private readonly documentFrequencies: DocumentFrequencies;
  /** Posts indexed since the postings last shed the posts that left the index. */
  private sinceSweep = 0;

  constructor(
    private readonly settings: ContentIndexSettings = DEFAULT_CONTENT_INDEX_SETTINGS,
    /** Trained parts (tag vocabulary, tag inferrer, document frequencies), when there are. */
    private models: ContentModels = {},
  ) {
    // Learned online from every post, starting from the trained counts when there are.
    const trained = models.documentFrequencies;
    this.documentFrequencies = trained
      ? DocumentFrequencies.fromJSON(trained.toJSON())
      : new DocumentFrequencies();
  }

  /**
   * Understands the posts that arrive from now on with newly trained models (the trainer's
   * latest publish): their vocabulary and tag inferrer. Posts indexed before keep their terms,
   * and the document frequencies stay the ones learned online from the posts seen here.
   */
  useModels(models: ContentModels): void {
    this.models = models;
  }

  get stats() {
    return {
      posts: this.posts.size,
      terms: this.postings.size,
      profiles: this.profiles.size,
      pendingPosts: this.pending.size,
      documents: this.documentFrequencies.documents,
    };
  }

  /** Understands and indexes a new post; a post id seen before is left as it is. */
  postCreated(postId: string, post: PostContent): void {
    if (this.posts.has(postId)) return;
    this.documentFrequencies.add(terms(post.text).map((t) => t.term));
    const understood = this.understand(post);
    if (understood.spamScore >= this.settings.maxSpamScore) return;
    const weighted = new Map<string, { word: string; weight: number }>();
    const add = (term: string, word: string, weight: number) => {
      const entry = weighted.get(term);
      if (entry) entry.weight += weight;
      else weighted.set(term, { word, weight });
    };
    for (const keyword of understood.keywords) add(keyword.term, keyword.word, keyword.weight);
    const tags = [...understood.tags.map((tag) => ({ tag, score: 1 })), ...understood.inferredTags];
    for (const { tag, score } of tags) {
      const tagTerms = terms(tag);
      for (const { term, word } of tagTerms) {
        add(term, word, (this.settings.tagWeight * score) / Math.sqrt(tagTerms.length));
      }
    }
    const kept = [...weighted]
      .map(([term, { word, weight }]) => ({ term, word, weight }))
      .sort((a, b) => b.weight - a.weight || (a.term < b.term ? -1 : 1))
      .slice(0, this.settings.termsPerPost);
    const norm = Math.hypot(...kept.map((t) => t.weight));
    if (kept.length === 0 || norm === 0) return;
    const indexed = kept.map(({ term, weight }) => ({ term, weight: weight / norm }));
    this.posts.set(postId, { createdAtMs: post.createdAtMs, terms: indexed });
    for (const { term, weight } of indexed) this.post(term, postId, weight, post.createdAtMs);
    for (const { term, word } of kept) if (!this.words.has(term)) this.words.set(term, word);
    const early = this.pending.get(postId);
    this.pending.delete(postId);
    for (const e of early ?? []) this.engaged(e.userId, postId, e.weight, e.atMs);
    if (this.posts.size > this.settings.maxPosts) {
      this.posts.delete(this.posts.keys().next().value!);
    }
    if (++this.sinceSweep >= Math.max(1_000, this.settings.maxPosts / 4)) this.sweep();
  }

  /**
   * The parts of `understandPost` this index uses, from the same components: canonical tags,
   * keywords, inferred tags and the spam score. Language detection and the MinHash
   * signature, most of `understandPost`'s cost (about 0.4 of its 0.55 ms a post), are left
   * to the consumers that need them.
   */
  private understand(post: PostContent): {
    keywords: ReturnType<typeof extractKeywords>;
    tags: readonly string[];
    inferredTags: readonly InferredTag[];
    spamScore: number;
  } {
    const tags = (this.models.vocabulary ?? RULES_ONLY).normalize(post.tags);
    const inferrer = this.models.tagInferrer;
    return {
      keywords: extractKeywords(post.text, this.documentFrequencies, KEYWORDS_PER_POST),
      tags,
      inferredTags:
        inferrer && tags.length < INFER_BELOW_TAGS
          ? inferrer.infer(contentFeatures(post.text, tags), {
              limit: 5,
              exclude: tags,
              minScore: 0.1,
            })
          : [],
      spamScore: spamScore(qualitySignals(post.text, post.tags, tags.length)),
    };
  }

  postDeleted(postId: string): void {
    this.posts.delete(postId);
    this.pending.delete(postId);
  }

  /** The indexed terms of a post, heaviest first (empty when not indexed). */
  termsOf(postId: string): readonly PostTerm[] {
    return this.posts.get(postId)?.terms ?? [];
  }

  /**
   * A positive engagement: the post's terms join the user's interests with `weight`, decayed
   * from `atMs` (see `Profile`).
   */
  engaged(userId: string, postId: string, weight: number, atMs: number): void {
    const post = this.posts.get(postId);
    if (!post) return this.remember(postId, { userId, weight, atMs });
    let profile = this.profiles.get(userId);
    if (!profile) {
      profile = { weights: new Map(), baseMs: atMs, lastMs: atMs };
      this.profiles.set(userId, profile);
      if (this.profiles.size > this.settings.maxProfiles) this.evictProfiles();
    }
    profile.lastMs = Math.max(profile.lastMs, atMs);
    const halfLife = this.settings.interestHalfLifeMs;
    if ((atMs - profile.baseMs) / halfLife > REBASE_HALF_LIVES) {
      const fade = 2 ** (-(atMs - profile.baseMs) / halfLife);
      for (const [term, w] of profile.weights) profile.weights.set(term, w * fade);
      profile.baseMs = atMs;
    }
    const share = weight * 2 ** ((atMs - profile.baseMs) / halfLife);
    for (const { term, weight: w } of post.terms) {
      profile.weights.set(term, (profile.weights.get(term) ?? 0) + share * w);
    }
    const cap = this.settings.termsPerProfile;
    if (profile.weights.size > 2 * cap) profile.weights = heaviest(profile.weights, cap);
  }

  /**
   * Drops the tenth of the profiles engaged least recently (at least one): in a batch, so an
   * engagement never pays for keeping the profiles in recency order. Profiles last engaged at
   * the same time as the tenth leave in the order they were created, as many as make the count:
   * a replay can give many users one time, and cutting only below it would drop none, leaving
   * the cap exceeded and every new profile paying for another sort.
   */
  private evictProfiles(): void {
    const count = Math.max(1, Math.floor(this.profiles.size / 10));
    const lastMs = Float64Array.from(this.profiles.values(), (p) => p.lastMs).sort();
    const cut = lastMs[count - 1]!;
    let atCut = count - lastMs.indexOf(cut);
    // A map iterates in insertion order, and a profile is inserted once: its creation order.
    for (const [userId, profile] of this.profiles) {
      if (profile.lastMs < cut) this.profiles.delete(userId);
      else if (profile.lastMs === cut && atCut > 0) {
        this.profiles.delete(userId);
        atCut -= 1;
      }
    }
  }

  /** The user's heaviest interest terms with weights of unit length; empty for a stranger. */
  interests(userId: string, limit: number): { term: string; weight: number }[] {
    const profile = this.profiles.get(userId);
    if (!profile) return [];
    const top = [...profile.weights]
      .filter(([, w]) => w > 0)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, limit);
    const norm = Math.hypot(...top.map(([, w]) => w));
    return norm === 0 ? [] : top.map(([term, w]) => ({ term, weight: w / norm }));
  }

  /**
   * The recent posts sharing the most with the user's interests (the cosine of the two term
   * vectors over the profile's heaviest terms), best first by `rank`.
   */
  match(userId: string, options: MatchOptions): ContentMatch[] {
    const interests = this.interests(userId, options.queryTerms);
    // Per matched post, a slot in the columns below. Whether a post is still indexed and not
    // skipped is asked only of the best-ranked ones, in rank order, until `limit` are kept:
    // it does not change a post's rank, and two map lookups for each of a few thousand posts
    // were most of a match's time.
    const slots = new Map<string, number>();
    const ids: string[] = [];
    const similarity: number[] = [];
    const best: number[] = [];
    const about: string[] = [];
    const createdAtMs: number[] = [];
    for (const { term, weight } of interests) {
      const list = this.postings.get(term);
      if (!list) continue;
      const stop = Math.max(0, list.ids.length - options.postsPerQueryTerm);
      for (let i = list.ids.length - 1; i >= stop; i--) {
        const created = list.createdAtMs[i]!;
        if (created < options.createdAfterMs) continue;
        const postId = list.ids[i]!;
        let slot = slots.get(postId);
        if (slot === undefined) {
          slot = ids.length;
          slots.set(postId, slot);
          ids.push(postId);
          similarity.push(0);
          best.push(0);
          about.push(term);
          createdAtMs.push(created);
        }
        const contribution = weight * list.weights[i]!;
        similarity[slot]! += contribution;
        if (contribution > best[slot]!) {
          best[slot] = contribution;
          about[slot] = term;
        }
      }
    }
    const minSimilarity = options.minSimilarity ?? 0;
    const rank = options.rank ?? ((s: number) => s);
    const ranks = new Float64Array(ids.length);
    const ranked: number[] = [];
    for (let n = 0; n < ids.length; n++) {
      if (similarity[n]! < minSimilarity) continue;
      ranks[n] = rank(similarity[n]!, createdAtMs[n]!);
      ranked.push(n);
    }
    ranked.sort((a, b) => ranks[b]! - ranks[a]! || (ids[a]! < ids[b]! ? -1 : 1));
    const matches: ContentMatch[] = [];
    for (const n of ranked) {
      if (matches.length >= options.limit) break;
      const postId = ids[n]!;
      if (!this.posts.has(postId) || options.skip(postId)) continue;
      matches.push({
        postId,
        similarity: similarity[n]!,
        createdAtMs: createdAtMs[n]!,
        about: this.words.get(about[n]!) ?? about[n]!,
      });
    }
    return matches;
  }

  /** Keeps an engagement of a post not seen yet, a few per post, for when it arrives. */
  private remember(postId: string, engagement: PendingEngagement): void {
    let list = this.pending.get(postId);
    if (!list) {
      this.pending.set(postId, (list = []));
      if (this.pending.size > this.settings.pendingPosts) {
        this.pending.delete(this.pending.keys().next().value!);
      }
    }
    if (list.length < PENDING_PER_POST) list.push(engagement);
  }

  /**
   * Drops posts that left the index (deleted, or the oldest evicted) from every list, and the
   * lists left empty, so rare terms of long-gone posts do not pile up.
   */
  private sweep(): void {
    this.sinceSweep = 0;
    for (const [term, list] of this.postings) {
      const kept = this.live(list, Infinity);
      if (kept.ids.length === 0) {
        this.postings.delete(term);
        this.words.delete(term);
      } else if (kept.ids.length < list.ids.length) {
        this.postings.set(term, kept);
      }
    }
  }

  /** Appends to the term's list; a long list sheds its deleted and oldest posts. */
  private post(term: string, postId: string, weight: number, createdAtMs: number): void {
    let list = this.postings.get(term);
    if (!list) this.postings.set(term, (list = { ids: [], weights: [], createdAtMs: [] }));
    list.ids.push(postId);
    list.weights.push(weight);
    list.createdAtMs.push(createdAtMs);
    const cap = this.settings.postsPerTerm;
    if (list.ids.length > 2 * cap) this.postings.set(term, this.live(list, cap));
  }

  /** The newest `limit` of the list's posts still in the index. */
  private live(list: Postings, limit: number): Postings {
    const kept: Postings = { ids: [], weights: [], createdAtMs: [] };
    for (let i = list.ids.length - 1; i >= 0 && kept.ids.length < limit; i--) {
      if (!this.posts.has(list.ids[i]!)) continue;
      kept.ids.push(list.ids[i]!);
      kept.weights.push(list.weights[i]!);
      kept.createdAtMs.push(list.createdAtMs[i]!);
    }
    kept.ids.reverse();
    kept.weights.reverse();
    kept.createdAtMs.reverse();
    return kept;
  }
}

/**
 * The `count` heaviest entries (and any tied at the cut), as a new map: deleting from the old
 * one would leave it holes that every later insertion pays to rehash.
 */
function heaviest(weights: Map<string, number>, count: number): Map<string, number> {
  const sorted = Float64Array.from(weights.values()).sort();
  const cut = sorted[sorted.length - count]!;
  const kept = new Map<string, number>();
  for (const [term, w] of weights) if (w >= cut) kept.set(term, w);
  return kept;
}
