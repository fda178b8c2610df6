import { normalizeKeyword, type Analyzer, type Token } from './analyzer.js';

export interface Blog {
  readonly ordinal: number;
  readonly id: string;
  /** Empty until the blog's BlogCreated arrives (posts may come first). */
  name: string;
  /** The name's analyzed terms: the "blog" field of every post of the blog. */
  nameTokens: readonly Token[];
  /** at_ms of the BlogCreated the name came from: the latest one wins. */
  namedAtMs: number;
  livePosts: number;
}

/**
 * Blogs by id, name and name term. A blog's name is a field of each of its posts, but it is
 * stored once per blog: a name that arrives after the posts (or changes) is picked up by all
 * of them without touching their postings.
 */
export class BlogDirectory {
  private readonly byId = new Map<string, Blog>();
  private readonly blogs: Blog[] = [];
  private readonly byName = new Map<string, Set<number>>();
  /** term → (blog ordinal → occurrences in the name). */
  private readonly byTerm = new Map<string, Map<number, number>>();

  constructor(private readonly analyzer: Analyzer) {}

  get size(): number {
    return this.blogs.length;
  }

  get(ordinal: number): Blog | undefined {
    return this.blogs[ordinal];
  }

  byBlogId(id: string): Blog | undefined {
    return this.byId.get(id);
  }

  /** The blog with this id, created nameless on first sight. */
  ensure(id: string): Blog {
    let blog = this.byId.get(id);
    if (blog === undefined) {
      blog = {
        ordinal: this.blogs.length,
        id,
        name: '',
        nameTokens: [],
        namedAtMs: -1,
        livePosts: 0,
      };
      this.byId.set(id, blog);
      this.blogs.push(blog);
    }
    return blog;
  }

  /** Every blog in ordinal order, for a snapshot. */
  records(): BlogRecord[] {
    return this.blogs.map(({ id, name, namedAtMs, livePosts }) => ({
      id,
      name,
      namedAtMs,
      livePosts,
    }));
  }

  /** Re-creates a blog of a snapshot; records must come back in ordinal order. */
  restore(record: BlogRecord): Blog {
    const blog = this.ensure(record.id);
    if (record.name !== '') this.rename(blog, record.name, record.namedAtMs);
    blog.livePosts = record.livePosts;
    return blog;
  }

  /** Sets the name unless a later one is already known; returns whether it changed. */
  rename(blog: Blog, name: string, atMs: number): boolean {
    if (atMs < blog.namedAtMs || (atMs === blog.namedAtMs && name === blog.name)) return false;
    this.unlink(blog);
    blog.name = name;
    blog.namedAtMs = atMs;
    blog.nameTokens = this.analyzer.analyze(name);
    this.link(blog);
    return true;
  }

  /** Blogs whose normalized name, or id, is exactly `nameOrId` (the `blog:` filter). */
  matching(nameOrId: string): Blog[] {
    const found = new Set<number>(this.byName.get(normalizeKeyword(nameOrId)) ?? []);
    const byId = this.byId.get(nameOrId);
    if (byId !== undefined) found.add(byId.ordinal);
    return [...found].flatMap((ordinal) => this.blogs[ordinal] ?? []);
  }

  /** Blogs whose name contains the term, with its count in the name. */
  withTerm(term: string): ReadonlyMap<number, number> {
    return this.byTerm.get(term) ?? EMPTY;
  }

  private link(blog: Blog): void {
    const key = normalizeKeyword(blog.name);
    if (key !== '') {
      let ordinals = this.byName.get(key);
      if (ordinals === undefined) this.byName.set(key, (ordinals = new Set()));
      ordinals.add(blog.ordinal);
    }
    for (const token of blog.nameTokens) {
      let blogs = this.byTerm.get(token.term);
      if (blogs === undefined) this.byTerm.set(token.term, (blogs = new Map()));
      blogs.set(blog.ordinal, (blogs.get(blog.ordinal) ?? 0) + 1);
    }
  }

  private unlink(blog: Blog): void {
    this.byName.get(normalizeKeyword(blog.name))?.delete(blog.ordinal);
    for (const token of blog.nameTokens) {
      const blogs = this.byTerm.get(token.term);
      blogs?.delete(blog.ordinal);
      if (blogs?.size === 0) this.byTerm.delete(token.term);
    }
  }
}

const EMPTY: ReadonlyMap<number, number> = new Map();

/** A blog as a snapshot keeps it; its ordinal is its place in the list. */
export interface BlogRecord {
  readonly id: string;
  readonly name: string;
  readonly namedAtMs: number;
  readonly livePosts: number;
}

/** How many words the name counts for in BM25F length normalization. */
export function nameLength(blog: Blog): number {
  const last = blog.nameTokens[blog.nameTokens.length - 1];
  return last === undefined ? 0 : last.position + 1;
}
