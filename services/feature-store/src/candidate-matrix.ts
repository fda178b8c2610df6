import type { PackedMatrix } from '@feedmesh/contracts';
import { EntityColumns, hasBit, setBit } from './feature-columns.js';
import type { FeatureDeclaration } from './feature-registry.js';
import type { FeatureSchema } from './feature-schema.js';
import type { CandidateStates } from './feature-store.js';
import { decayedAt, LAYOUTS, TIME_CELL } from './state-layout.js';

// The wire's packed matrix and vector (libs/contracts): the rows are built straight into them.
export type { PackedMatrix, PackedVector } from '@feedmesh/contracts';

interface TagFeature {
  readonly cell: number;
  readonly halfLifeMs: number;
  readonly reduce: 'sum' | 'max';
  readonly default: number;
}

/**
 * GetFeatures' candidate rows: post, blog, user x blog and user x tag features, in the
 * registry's order. Rows are computed straight into a Float32Array; what a row shares with
 * others (its blog's features and the user's with that blog, the user's affinity to each tag)
 * is computed once per request.
 */
export class CandidateMatrixBuilder {
  readonly names: readonly string[];
  readonly width: number;
  private readonly post: EntityColumns<'post'>;
  private readonly blog: EntityColumns<'blog'>;
  /** The user x blog features read from cells, and where each sits in the user x blog part. */
  private readonly userBlog: EntityColumns<'user_blog'>;
  private readonly userBlogAt: readonly number[];
  /** Where each `relation` feature sits in the user x blog part, with its default. */
  private readonly followsAt: readonly { at: number; default: number }[];
  private readonly userBlogWidth: number;
  private readonly tags: readonly TagFeature[];
  /** Row offsets of each part. */
  private readonly blogOffset: number;
  private readonly tagOffset: number;

  constructor(schema: FeatureSchema) {
    const of = (entity: FeatureDeclaration['entity']) =>
      schema.candidate.filter((feature) => feature.entity === entity);
    this.names = schema.candidate.map((feature) => feature.name);
    this.width = this.names.length;
    this.post = new EntityColumns(LAYOUTS.post, of('post'));
    this.blog = new EntityColumns(LAYOUTS.blog, of('blog'));
    const userBlog = of('user_blog');
    const read = userBlog.filter((f) => f.aggregation.kind !== 'relation');
    this.userBlog = new EntityColumns(LAYOUTS.user_blog, read);
    this.userBlogAt = read.map((f) => userBlog.indexOf(f));
    this.followsAt = userBlog.flatMap((f, at) =>
      f.aggregation.kind === 'relation' ? [{ at, default: f.default }] : [],
    );
    this.userBlogWidth = userBlog.length;
    this.tags = of('user_tag').map((feature) => {
      const { aggregation } = feature;
      if (aggregation.kind !== 'decayed_count' || aggregation.reduce === undefined) {
        throw new Error(`${feature.name}: user_tag features are reduced decayed counts`);
      }
      const index = LAYOUTS.user_tag.counterIndex(
        aggregation.signal as 'affinity',
        aggregation.halfLifeMs,
      );
      return {
        cell: LAYOUTS.user_tag.counters[index]!.cell,
        halfLifeMs: aggregation.halfLifeMs,
        reduce: aggregation.reduce,
        default: feature.default,
      };
    });
    // The schema lays candidate features out entity by entity: post, blog, user_blog, user_tag.
    this.blogOffset = this.post.size;
    this.tagOffset = this.post.size + this.blog.size + this.userBlogWidth;
    if (this.tagOffset + this.tags.length !== this.width) {
      throw new Error('candidate features must be grouped by entity');
    }
  }

  /**
   * One row per entry of `rows`, each the index of its post in `states.posts` (a request may
   * ask for a post twice; the store reads it once).
   */
  build(
    userId: string | undefined,
    states: CandidateStates,
    rows: ArrayLike<number>,
    nowMs: number,
  ): PackedMatrix {
    const { width } = this;
    const { cells, offsets, slots } = states.posts;
    const { blogSlots, tagFrom, tagCount, tagSlots } = slots;
    const values = new Float32Array(rows.length * width);
    const missing = new Uint8Array(Math.ceil(values.length / 8));
    const blogParts = new BlogParts(this, userId, states, nowMs);
    const tagValues = new TagValues(this.tags, states, nowMs);
    for (let row = 0; row < rows.length; row++) {
      const offset = row * width;
      const post = rows[row]!;
      const base = offsets[post]!;
      this.post.fill(base < 0 ? undefined : cells, base, nowMs, values, offset, missing);
      const blogSlot = blogSlots[post]!;
      blogParts.copy(blogSlot, values, missing, offset + this.blogOffset);
      // A post's tags are known with its meta, as is its blog.
      const tagsKnown = userId !== undefined && blogSlot >= 0;
      const from = tagsKnown ? tagFrom[post]! : 0;
      const count = tagsKnown ? tagCount[post]! : -1;
      tagValues.reduce(tagSlots, from, count, values, missing, offset + this.tagOffset);
    }
    return { names: this.names, rows: rows.length, values, missing };
  }

  /** The blog and user x blog part of a row for the blog in `slot` (-1: unknown). */
  fillBlogPart(
    slot: number,
    userId: string | undefined,
    states: CandidateStates,
    nowMs: number,
    out: Float32Array,
    missing: Uint8Array,
    offset: number,
  ): void {
    this.blog.fill(slot < 0 ? undefined : states.blogs[slot], 0, nowMs, out, offset, missing);
    const base = offset + this.blog.size;
    const known = userId !== undefined && slot >= 0;
    const scratch = new Float32Array(this.userBlog.size);
    const scratchMissing = new Uint8Array(Math.ceil(this.userBlog.size / 8));
    const userBlog = known ? states.userBlogs[slot] : undefined;
    this.userBlog.fill(userBlog, 0, nowMs, scratch, 0, scratchMissing);
    this.userBlogAt.forEach((at, i) => {
      out[base + at] = scratch[i]!;
      if (hasBit(scratchMissing, i)) setBit(missing, base + at);
    });
    // Not following is only a fact for a user the store knows.
    const follows = !known
      ? undefined
      : states.following[slot] === 1
        ? 1
        : states.user === undefined
          ? undefined
          : 0;
    for (const { at, default: fallback } of this.followsAt) {
      out[base + at] = follows ?? fallback;
      if (follows === undefined) setBit(missing, base + at);
    }
  }

  get blogPartWidth(): number {
    return this.blog.size + this.userBlogWidth;
  }
}

interface BlogPart {
  readonly values: Float32Array;
  readonly missing: Uint8Array;
  readonly anyMissing: boolean;
}

/** Each blog's part of a row, computed once per request and copied into every row of it. */
class BlogParts {
  private readonly parts: (BlogPart | undefined)[] = [];
  private unknown: BlogPart | undefined;
  private readonly width: number;

  constructor(
    private readonly builder: CandidateMatrixBuilder,
    private readonly userId: string | undefined,
    private readonly states: CandidateStates,
    private readonly nowMs: number,
  ) {
    this.width = builder.blogPartWidth;
  }

  copy(slot: number, out: Float32Array, missing: Uint8Array, offset: number): void {
    let part = slot < 0 ? this.unknown : this.parts[slot];
    if (part === undefined) {
      const values = new Float32Array(this.width);
      const bits = new Uint8Array(Math.ceil(this.width / 8));
      this.builder.fillBlogPart(slot, this.userId, this.states, this.nowMs, values, bits, 0);
      part = { values, missing: bits, anyMissing: bits.some((byte) => byte !== 0) };
      if (slot < 0) this.unknown = part;
      else this.parts[slot] = part;
    }
    const values = part.values;
    // A loop beats TypedArray.set for a dozen values.
    for (let i = 0; i < values.length; i++) out[offset + i] = values[i]!;
    if (!part.anyMissing) return;
    for (let i = 0; i < this.width; i++) if (hasBit(part.missing, i)) setBit(missing, offset + i);
  }
}

/** The user's affinity to each tag at the request's time, computed once per tag. */
class TagValues {
  /** By tag slot: the features' values; null for a tag the user never touched. */
  private readonly bySlot: (Float64Array | null | undefined)[] = [];
  /** The current row's tags' values (a post has at most 30 tags). */
  private readonly row: (Float64Array | null)[] = [];

  constructor(
    private readonly features: readonly TagFeature[],
    private readonly states: CandidateStates,
    private readonly nowMs: number,
  ) {}

  /**
   * The user x tag part of a row whose tags' slots are `slots[from...from + count]`. Unknown
   * (`count` -1: no user, or the post's tags are unknown) or every tag untouched: defaults,
   * missing. A post without tags: 0. A tag the user never touched counts 0 among touched ones.
   */
  reduce(
    slots: Int32Array,
    from: number,
    count: number,
    out: Float32Array,
    missing: Uint8Array,
    offset: number,
  ): void {
    const { features, row } = this;
    let touched = 0;
    for (let t = 0; t < count; t++) {
      const values = this.valuesOf(slots[from + t]!);
      row[t] = values;
      if (values !== null) touched += 1;
    }
    for (let j = 0; j < features.length; j++) {
      const feature = features[j]!;
      if (count < 0 || (count > 0 && touched === 0)) {
        out[offset + j] = feature.default;
        setBit(missing, offset + j);
        continue;
      }
      const max = feature.reduce === 'max';
      let reduced = count === 0 ? 0 : max ? Number.NEGATIVE_INFINITY : 0;
      for (let t = 0; t < count; t++) {
        const values = row[t];
        const value = values === null || values === undefined ? 0 : values[j]!;
        reduced = max ? (value > reduced ? value : reduced) : reduced + value;
      }
      out[offset + j] = reduced;
    }
  }

  private valuesOf(slot: number): Float64Array | null {
    let values = this.bySlot[slot];
    if (values === undefined) {
      const cells = this.states.userTags[slot];
      values =
        cells === undefined
          ? null
          : Float64Array.from(this.features, ({ cell, halfLifeMs }) =>
              decayedAt(cells[cell]!, cells[TIME_CELL]!, halfLifeMs, this.nowMs),
            );
      this.bySlot[slot] = values;
    }
    return values;
  }
}
