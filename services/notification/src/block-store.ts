export interface BlockSettings {
  /** Blogs remembered per user (blocked or unblocked), the latest; older ones are forgotten. */
  readonly perUser: number;
}

/**
 * The blogs each user blocked, from Block and Unblock: the later event (by `at_ms`) of a user
 * and blog decides, whatever order the log delivers them in, and at the same instant an Unblock
 * wins (as in candidate-generation). Unblocks are remembered as well, so a Block redelivered
 * after a later Unblock changes nothing.
 */
export interface BlockStore {
  record(userId: string, blogId: string, blocked: boolean, atMs: number): Promise<void>;
  /** The blogs `userId` blocks now. */
  blocked(userId: string): Promise<ReadonlySet<string>>;
}

/**
 * A block or unblock at `atMs` as one comparable number: twice the time, plus one for an
 * unblock, so the larger is the later and an unblock outranks a block at the same instant.
 * (Safe as a double: 2 · at_ms stays far below 2^53.)
 */
export function blockRank(blocked: boolean, atMs: number): number {
  return 2 * atMs + (blocked ? 0 : 1);
}

export function isBlockRank(rank: number): boolean {
  return rank % 2 === 0;
}

/**
 * The order of a Redis ZSET, so both stores trim the same blogs: by rank, and at equal rank by
 * the blog id's UTF-8 bytes (not UTF-16 code units, which order some characters differently).
 */
function byRankThenBytes([aId, aRank]: [string, number], [bId, bRank]: [string, number]): number {
  return aRank - bRank || Buffer.compare(Buffer.from(aId), Buffer.from(bId));
}

export class InMemoryBlockStore implements BlockStore {
  /** Per user, blog -> its latest blockRank. */
  private readonly byUser = new Map<string, Map<string, number>>();

  constructor(private readonly settings: BlockSettings) {}

  async record(userId: string, blogId: string, blocked: boolean, atMs: number): Promise<void> {
    let blogs = this.byUser.get(userId);
    if (blogs === undefined) {
      blogs = new Map();
      this.byUser.set(userId, blogs);
    }
    const rank = blockRank(blocked, atMs);
    if (rank > (blogs.get(blogId) ?? -Infinity)) blogs.set(blogId, rank);
    const excess = blogs.size - this.settings.perUser;
    if (excess > 0) {
      const oldest = [...blogs.entries()].sort(byRankThenBytes).slice(0, excess);
      for (const [old] of oldest) blogs.delete(old);
    }
  }

  async blocked(userId: string): Promise<ReadonlySet<string>> {
    const blogs = this.byUser.get(userId) ?? new Map<string, number>();
    return new Set([...blogs].filter(([, rank]) => isBlockRank(rank)).map(([blogId]) => blogId));
  }
}
