import type { BlogRecord, CandidateStore, PostState } from './candidate-store.js';

/**
 * The posts and blogs one request has read, shared by its sources (which run in parallel and
 * often propose the same posts), so each is read from the store once.
 */
export class RequestLookup {
  private readonly postReads = new Map<string, PostState | null>();
  private readonly blogReads = new Map<string, BlogRecord | null>();

  constructor(
    private readonly store: CandidateStore,
    /** Blogs the requesting user blocked: their posts are never read for this request. */
    private readonly blockedBlogs: ReadonlySet<string> = new Set(),
  ) {}

  /** The live posts among `postIds`: deleted, unknown and blocked ones are left out. */
  posts(postIds: readonly string[]): Promise<Map<string, PostState>> {
    return this.read(postIds, this.postReads, async (ids) => {
      const found = await this.store.posts(ids);
      if (this.blockedBlogs.size > 0) {
        for (const [id, post] of found) if (this.blockedBlogs.has(post.blogId)) found.delete(id);
      }
      return found;
    });
  }

  blogs(blogIds: readonly string[]): Promise<Map<string, BlogRecord>> {
    return this.read(blogIds, this.blogReads, (ids) => this.store.blogs(ids));
  }

  /**
   * The first `limit` live, non-excluded posts of `postIds`, in that order. Reads in chunks a
   * little larger than needed, since some ids in an index may be of posts deleted since.
   */
  async firstLive(
    postIds: readonly string[],
    exclude: ReadonlySet<string>,
    limit: number,
    signal: AbortSignal,
  ): Promise<PostState[]> {
    const candidates = [...new Set(postIds)].filter((id) => !exclude.has(id));
    const live: PostState[] = [];
    let next = 0;
    while (live.length < limit && next < candidates.length) {
      signal.throwIfAborted();
      const wanted = limit - live.length;
      const chunk = candidates.slice(next, next + wanted + Math.ceil(wanted / 10) + 5);
      next += chunk.length;
      const found = await this.posts(chunk);
      for (const id of chunk) {
        const post = found.get(id);
        if (post && live.length < limit) live.push(post);
      }
    }
    return live;
  }

  private async read<T>(
    ids: readonly string[],
    cache: Map<string, T | null>,
    load: (ids: string[]) => Promise<Map<string, T>>,
  ): Promise<Map<string, T>> {
    const missing = ids.filter((id) => !cache.has(id));
    if (missing.length > 0) {
      // Two sources may read the same id at once: both load it, which costs less than
      // tracking reads in flight. A failed read caches nothing.
      const loaded = await load(missing);
      for (const id of missing) cache.set(id, loaded.get(id) ?? null);
    }
    const found = new Map<string, T>();
    for (const id of ids) {
      const value = cache.get(id);
      if (value !== undefined && value !== null) found.set(id, value);
    }
    return found;
  }
}
