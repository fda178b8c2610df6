import { featuresv1 } from '@feedmesh/contracts';
import { FeatureColumns, type EntityStates } from './feature-columns.js';
import { INTERESTS } from './feature-registry.js';
import { featureSchema } from './feature-schema.js';
import type { CandidateStates, UserStates } from './feature-store.js';
import { MissingMask } from './missing-mask.js';
import { LAYOUTS } from './state-layout.js';

const userColumns = new FeatureColumns(featureSchema.user);
const candidateColumns = new FeatureColumns(featureSchema.candidate);

export function userVector(
  state: Float64Array | undefined,
  nowMs: number,
): featuresv1.FeatureVector {
  const values = new Array<number>(userColumns.size).fill(0);
  const missing = new MissingMask(userColumns.size);
  userColumns.fill({ user: state }, nowMs, values, 0, missing);
  return { names: [...userColumns.names], values, missing: missing.toBuffer() };
}

/** One row per requested post, duplicates included; each distinct post is computed once. */
export function candidateMatrix(
  userId: string | undefined,
  states: CandidateStates,
  postIds: readonly string[],
  nowMs: number,
): featuresv1.FeatureMatrix {
  const width = candidateColumns.size;
  const values = new Array<number>(postIds.length * width).fill(0);
  const missing = new MissingMask(values.length);
  const firstRow = new Map<string, number>();
  postIds.forEach((postId, row) => {
    const offset = row * width;
    const earlier = firstRow.get(postId);
    if (earlier === undefined) {
      firstRow.set(postId, row);
      candidateColumns.fill(rowStates(userId, states, postId), nowMs, values, offset, missing);
      return;
    }
    for (let column = 0; column < width; column++) {
      values[offset + column] = values[earlier * width + column]!;
      if (missing.has(earlier * width + column)) missing.set(offset + column);
    }
  });
  return {
    names: [...candidateColumns.names],
    rows: postIds.length,
    values,
    missing: missing.toBuffer(),
  };
}

function rowStates(
  userId: string | undefined,
  states: CandidateStates,
  postId: string,
): EntityStates {
  const post = states.posts.get(postId);
  const meta = post?.meta;
  const blogId = meta?.blogId;
  const withUser = userId !== undefined;
  let following: boolean | undefined;
  if (withUser && blogId !== undefined) {
    // Not following is only a fact for a user the store knows.
    following = states.following.has(blogId) ? true : states.user === undefined ? undefined : false;
  }
  return {
    post: post?.state,
    blog: blogId === undefined ? undefined : states.blogs.get(blogId),
    user_blog: withUser && blogId !== undefined ? states.userBlogs.get(blogId) : undefined,
    following,
    user_tag:
      withUser && meta !== undefined ? meta.tags.map((tag) => states.userTags.get(tag)) : undefined,
  };
}

/** Tags and blogs the user is drawn to (positive decayed affinity), strongest first. */
export function interestsOf(user: UserStates, nowMs: number, limit: number): featuresv1.Interest[] {
  const interests: featuresv1.Interest[] = [];
  for (const { tag, state } of user.tags) {
    const { signal, halfLifeMs } = INTERESTS.tag;
    const weight = LAYOUTS.user_tag.counter(state, signal, halfLifeMs, nowMs);
    if (weight > 0)
      interests.push({ kind: featuresv1.InterestKind.INTEREST_KIND_TAG, name: tag, weight });
  }
  for (const { blogId, state } of user.blogs) {
    const { signal, halfLifeMs } = INTERESTS.blog;
    const weight = LAYOUTS.user_blog.counter(state, signal, halfLifeMs, nowMs);
    if (weight > 0) {
      interests.push({ kind: featuresv1.InterestKind.INTEREST_KIND_BLOG, name: blogId, weight });
    }
  }
  return interests
    .sort((a, b) => b.weight - a.weight || a.kind - b.kind || (a.name < b.name ? -1 : 1))
    .slice(0, limit);
}

/** Milliseconds since the epoch of the user's latest session; 0 when never seen. */
export function lastSessionOf(state: Float64Array | undefined): number {
  const at = state === undefined ? Number.NaN : LAYOUTS.user.attribute(state, 'last_session_at');
  return Number.isNaN(at) ? 0 : at;
}
