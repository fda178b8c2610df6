import type { BlogRecord, CandidateStore, PostState } from './candidate-store.js';

/**
 * The posts and blogs one request has read, shared by its sources (which run in parallel and
 * often propose the same posts), so each is read from the store once.
 */
export class RequestLookup {
  /** Per post id read, its slot in the columns below. */
  private readonly postSlots = new Map<string, number>();
  /** The post; null when deleted, unknown or blocked; undefined while its read is pending. */
  private readonly postValues: (PostState | null | undefined)[] = [];
  /** The `firstLive` call that last took the post: de-duplicates without a set per call. */
  private readonly takenBy: number[] = [];
  private firstLiveCalls = 0;
  private readonly blogReads = new Map<string, BlogRecord | null>();

  constructor(
    private readonly store: CandidateStore,
    /**
     * Blogs the requesting user blocked: their posts are never read for this request. Sources
     * that read by blog (following, fresh) leave these blogs out before they read.
     */
    readonly blockedBlogs: ReadonlySet<string> = new Set(),
  ) {}

  /** The live posts among `postIds`: deleted, unknown and blocked ones are left out. */
  async posts(postIds: readonly string[]): Promise<Map<string, PostState>> {
    const missing: string[] = [];
    const missingSlots: number[] = [];
    for (const id of postIds) {
      const slot = this.slotOf(id);
      if (this.postValues[slot] === undefined) {
        missing.push(id);
        missingSlots.push(slot);
      }
    }
    if (missing.length > 0) await this.loadPosts(missing, missingSlots);
    const found = new Map<string, PostState>();
    for (const id of postIds) {
      const post = this.postValues[this.postSlots.get(id)!];
      if (post) found.set(id, post);
    }
    return found;
  }

  blogs(blogIds: readonly string[]): Promise<Map<string, BlogRecord>> {
    return this.read(blogIds, this.blogReads, (ids) => this.store.blogs(ids));
  }

  /**
   * The first `limit` live, non-excluded posts of `postIds`, in that order (each id once).
   * Reads in chunks a little larger than needed, since some ids in an index may be of posts
   * deleted since. One pass over the ids, each looked up once in the request's reads: this
   * runs for every source of every request, on about two thousand ids.
   */
  async firstLive(
    postIds: readonly string[],
    exclude: ReadonlySet<string>,
    limit: number,
    signal: AbortSignal,
  ): Promise<PostState[]> {
    const call = ++this.firstLiveCalls;
    const live: PostState[] = [];
    let next = 0;
    while (live.length < limit && next < postIds.length) {
      signal.throwIfAborted();
      const wanted = limit - live.length;
      const size = wanted + Math.ceil(wanted / 10) + 5;
      const chunk: number[] = [];
      const missing: string[] = [];
      const missingSlots: number[] = [];
      while (chunk.length < size && next < postIds.length) {
        const id = postIds[next++]!;
        if (exclude.has(id)) continue;
        const slot = this.slotOf(id);
        if (this.takenBy[slot] === call) continue;
        this.takenBy[slot] = call;
        chunk.push(slot);
        if (this.postValues[slot] === undefined) {
          missing.push(id);
          missingSlots.push(slot);
        }
      }
      // Two sources may read the same id at once: both load it, which costs less than
      // tracking reads in flight.
      if (missing.length > 0) await this.loadPosts(missing, missingSlots);
      for (const slot of chunk) {
        const post = this.postValues[slot];
        if (post && live.length < limit) live.push(post);
      }
    }
    return live;
  }

  private slotOf(id: string): number {
    let slot = this.postSlots.get(id);
    if (slot === undefined) {
      slot = this.postValues.length;
      this.postSlots.set(id, slot);
      this.postValues.push(undefined);
      this.takenBy.push(0);
    }
    return slot;
  }

  /** Reads posts into their slots (null: deleted, unknown or blocked). A failed read sets none. */
  private async loadPosts(ids: string[], slots: readonly number[]): Promise<void> {
    const found = await this.store.posts(ids);
    const blocked = this.blockedBlogs;
    for (let i = 0; i < ids.length; i++) {
      const post = found.get(ids[i]!);
      this.postValues[slots[i]!] =
        post === undefined || (blocked.size > 0 && blocked.has(post.blogId)) ? null : post;
    }
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
