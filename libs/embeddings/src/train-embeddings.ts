import { gram } from './dense.js';
import {
  EMBEDDINGS_FORMAT,
  type EmbeddingArtifact,
  type VectorTable,
} from './embedding-artifact.js';
import { meanVector } from './fold-in.js';
import { buildInteractions } from './interactions.js';
import { trainImplicitAls, type ImplicitAlsOptions } from './implicit-als.js';
import { trainIvf, type IvfTrainingOptions } from './ivf-training.js';
import {
  trainSessionEase,
  type SessionEaseOptions,
  type TimedEngagement,
} from './item-neighbours.js';

/** One positive engagement, weighted by its kind (a reblog says more than a like). */
export interface WeightedEngagement {
  readonly userId: string;
  readonly postId: string;
  readonly weight: number;
  /** When it happened, ms since the epoch: the item-to-item model needs the order. */
  readonly atMs?: number;
}

/** What a post is about, for the tag and blog vectors that seed new posts. */
export interface PostContent {
  readonly postId: string;
  readonly blogId: string;
  readonly tags: readonly string[];
}

export interface EmbeddingTrainingOptions extends ImplicitAlsOptions {
  /** The newest event included, ms since the epoch: serving folds in what came after. */
  readonly trainedAtMs: number;
  /**
   * Inverted-file layout for the post index: built when there are more posts than
   * `ivfAbove` (default 50,000), with these options. `false` never builds one.
   */
  readonly ivf?: IvfTrainingOptions | false;
  readonly ivfAbove?: number;
  /**
   * Also fits the item-to-item model (session EASE) on the engagements that carry `atMs`,
   * with these options; default none.
   */
  readonly neighbours?: SessionEaseOptions | false;
  readonly notes?: Readonly<Record<string, string>>;
}

/**
 * Trains user and post vectors (implicit ALS) on positive engagements and packs them, with
 * the tag and blog vectors and Gram matrices fold-in needs, as the artifact the trainer
 * publishes. The trainer's job and the offline evaluation both call this.
 */
export function trainEmbeddings(
  engagements: Iterable<WeightedEngagement>,
  contents: Iterable<PostContent>,
  options: EmbeddingTrainingOptions,
): EmbeddingArtifact {
  const users = new Map<string, number>();
  const items = new Map<string, number>();
  const u: number[] = [];
  const i: number[] = [];
  const w: number[] = [];
  const timed: TimedEngagement[] = [];
  for (const e of engagements) {
    if (!(e.weight > 0)) continue;
    if (options.neighbours && e.atMs !== undefined) {
      timed.push({ userId: e.userId, postId: e.postId, atMs: e.atMs });
    }
    let un = users.get(e.userId);
    if (un === undefined) users.set(e.userId, (un = users.size));
    let inum = items.get(e.postId);
    if (inum === undefined) items.set(e.postId, (inum = items.size));
    u.push(un);
    i.push(inum);
    w.push(e.weight);
  }
  const data = buildInteractions(users.size, items.size, {
    user: Int32Array.from(u),
    item: Int32Array.from(i),
    weight: Float32Array.from(w),
  });
  const started = performance.now();
  const model = trainImplicitAls(data, options);
  const trainMs = performance.now() - started;
  const d = model.factors;
  const itemIds = [...items.keys()];

  const byTag = new Map<string, Float32Array[]>();
  const byBlog = new Map<string, Float32Array[]>();
  for (const post of contents) {
    const n = items.get(post.postId);
    if (n === undefined) continue;
    const vector = model.itemVectors.subarray(n * d, (n + 1) * d);
    for (const tag of post.tags) pushTo(byTag, tag, vector);
    pushTo(byBlog, post.blogId, vector);
  }

  const ivfAbove = options.ivfAbove ?? 50_000;
  const ivf =
    options.ivf !== false && itemIds.length > ivfAbove
      ? trainIvf(model.itemVectors, d, options.ivf || {})
      : undefined;
  const neighboursStarted = performance.now();
  const neighbours =
    options.neighbours && timed.length > 0
      ? trainSessionEase(timed, options.neighbours)
      : undefined;
  const neighboursMs = performance.now() - neighboursStarted;
  return {
    format: EMBEDDINGS_FORMAT,
    dim: d,
    trainedAtMs: options.trainedAtMs,
    regularization: model.regularization,
    alpha: model.alpha,
    users: { ids: [...users.keys()], vectors: model.userVectors },
    items: { ids: itemIds, vectors: model.itemVectors },
    tags: meanTable(byTag, d),
    blogs: meanTable(byBlog, d),
    userGram: gram(model.userVectors, users.size, d),
    itemGram: gram(model.itemVectors, items.size, d),
    ...(ivf ? { ivf } : {}),
    ...(neighbours ? { neighbours } : {}),
    metrics: {
      users: users.size,
      items: items.size,
      interactions: data.userItems.length,
      train_ms: Math.round(trainMs),
      ...(neighbours
        ? {
            neighbour_items: neighbours.ids.length,
            neighbour_entries: neighbours.targets.length,
            neighbours_ms: Math.round(neighboursMs),
          }
        : {}),
    },
    notes: { method: 'implicit ALS (conjugate gradient)', ...(options.notes ?? {}) },
  };
}

function pushTo(map: Map<string, Float32Array[]>, key: string, vector: Float32Array) {
  const list = map.get(key);
  if (list) list.push(vector);
  else map.set(key, [vector]);
}

function meanTable(groups: Map<string, Float32Array[]>, d: number): VectorTable {
  const ids = [...groups.keys()];
  const vectors = new Float32Array(ids.length * d);
  ids.forEach((id, n) => vectors.set(meanVector(d, groups.get(id)!)!, n * d));
  return { ids, vectors };
}
