import type { CandidateStates, PostMeta } from '../feature-store.js';
import { postBatchOf, SlotAssigner } from '../post-batch.js';

/** What a read found, by id: the shape tests write states in. */
export interface StatesById {
  readonly user?: Float64Array | undefined;
  /** The posts asked for, in order. */
  readonly posts: readonly {
    readonly postId: string;
    readonly state: Float64Array | undefined;
    readonly meta: PostMeta | undefined;
  }[];
  readonly blogs?: ReadonlyMap<string, Float64Array>;
  readonly userBlogs?: ReadonlyMap<string, Float64Array>;
  readonly following?: ReadonlySet<string>;
  readonly userTags?: ReadonlyMap<string, Float64Array>;
}

/** CandidateStates as a store would return them for these states. */
export function candidateStates(found: StatesById): CandidateStates {
  const assigner = new SlotAssigner();
  const posts = postBatchOf(
    found.posts.map((p) => p.postId),
    found.posts.map((p) => p.state),
    found.posts.map((p) => p.meta),
    assigner,
  );
  const { blogIds, tags } = assigner;
  return {
    user: found.user,
    posts,
    blogIds,
    blogs: blogIds.map((id) => found.blogs?.get(id)),
    userBlogs: blogIds.map((id) => found.userBlogs?.get(id)),
    following: Uint8Array.from(blogIds, (id) => (found.following?.has(id) ? 1 : 0)),
    tags,
    userTags: tags.map((tag) => found.userTags?.get(tag)),
  };
}

/** The joins of a read as maps by id (tests and tools). */
export function joinsById(states: CandidateStates): {
  blogs: Map<string, Float64Array>;
  userBlogs: Map<string, Float64Array>;
  following: Set<string>;
  userTags: Map<string, Float64Array>;
} {
  const byId = (ids: readonly string[], values: readonly (Float64Array | undefined)[]) =>
    new Map(ids.flatMap((id, i) => (values[i] === undefined ? [] : [[id, values[i]!] as const])));
  return {
    blogs: byId(states.blogIds, states.blogs),
    userBlogs: byId(states.blogIds, states.userBlogs),
    following: new Set(states.blogIds.filter((_, i) => states.following[i] === 1)),
    userTags: byId(states.tags, states.userTags),
  };
}
