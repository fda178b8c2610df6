import type { BlogRecord, CandidateStore, PostState } from './candidate-store.js';

/**
 * The posts and blogs one request has read, shared by its sources (which run in parallel and
 * often propose the same posts), so each is read from the store once.
 */
export class RequestLookup {
  private readonly postReads = new Map<string, Promise<PostState | undefined>>();
  private readonly blogReads = new Map<string, Promise<BlogRecord | undefined>>();

  constructor(private readonly store: CandidateStore) {}

  /** The live posts among `postIds`: deleted and unknown ones are left out. */
  posts(postIds: readonly string[]): Promise<Map<string, PostState>> {
    return this.read(postIds, this.postReads, (ids) => this.store.posts(ids));
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
    cache: Map<string, Promise<T | undefined>>,
    load: (ids: string[]) => Promise<Map<string, T>>,
  ): Promise<Map<string, T>> {
    const missing = [...new Set(ids)].filter((id) => !cache.has(id));
    if (missing.length > 0) {
      const batch = load(missing);
      // A failed read is not cached: the source that asked fails, a later one may retry.
      batch.catch(() => missing.forEach((id) => cache.delete(id)));
      for (const id of missing)
        cache.set(
          id,
          batch.then((found) => found.get(id)),
        );
    }
    const found = new Map<string, T>();
    const values = await Promise.all(ids.map((id) => cache.get(id)!));
    ids.forEach((id, i) => {
      const value = values[i];
      if (value !== undefined) found.set(id, value);
    });
    return found;
  }
}
