import {
  foldIn,
  meanVector,
  VectorIndex,
  type EmbeddingArtifact,
  type Neighbour,
} from '@feedmesh/embeddings';

export interface EmbeddingIndexSettings {
  /** Inverted lists scanned per search (when the model ships a layout). */
  readonly probe: number;
  /** A new post's vector is refined by its first engagers, up to this many. */
  readonly foldInEngagers: number;
  /** New posts remembered for fold-in (their tags, blog and first engagers); oldest dropped. */
  readonly pendingPosts: number;
}

export const DEFAULT_EMBEDDING_INDEX_SETTINGS: EmbeddingIndexSettings = {
  probe: 24,
  foldInEngagers: 20,
  pendingPosts: 200_000,
};

interface PendingPost {
  readonly blogId: string;
  readonly tags: readonly string[];
  /** Each engager once, with their engagements' weights summed, as the trainer sums them. */
  readonly engagers: Map<string, number>;
}

/**
 * Engagers remembered per new post, known to the model or not: a post whose first engagers
 * the model has not seen still gets a vector from the known ones that come after them.
 */
const REMEMBERED_ENGAGERS_PER_FOLD_IN = 5;

interface Model {
  readonly artifact: EmbeddingArtifact;
  readonly index: VectorIndex;
  readonly users: ReadonlyMap<string, number>;
  readonly tags: ReadonlyMap<string, number>;
  readonly blogs: ReadonlyMap<string, number>;
}

/**
 * The served half of the embeddings source: the trainer's vectors (see `@feedmesh/embeddings`)
 * in a nearest-neighbour index, kept current without retraining. A post created after the
 * model was trained gets a vector at once from its tags and blog, refined by each of its first
 * engagers (ALS fold-in, the model's own objective with the other side held fixed); a deleted
 * post leaves the index; a user's vector is folded in from their engagements since training.
 *
 * The indexer tells it about every post and engagement, model or not, so a model loaded later
 * can fold in what came before it.
 */
export class EmbeddingIndex {
  private model: Model | undefined;
  private readonly pending = new Map<string, PendingPost>();

  constructor(
    private readonly settings: EmbeddingIndexSettings = DEFAULT_EMBEDDING_INDEX_SETTINGS,
  ) {}

  /** The loaded model's version stamp (trained-at), or undefined before one is loaded. */
  get trainedAtMs(): number | undefined {
    return this.model?.artifact.trainedAtMs;
  }

  get stats() {
    return {
      posts: this.model?.index.size ?? 0,
      users: this.model?.users.size ?? 0,
      dim: this.model?.artifact.dim ?? 0,
      lists: this.model?.index.listCount ?? 0,
      vectorBytes: this.model?.index.bytes ?? 0,
      pendingPosts: this.pending.size,
    };
  }

  /** Serves `artifact` from now on, with every post created since folded in. */
  load(artifact: EmbeddingArtifact, isLive: (postId: string) => boolean = () => true): void {
    const d = artifact.dim;
    const index = new VectorIndex(d, {
      ...(artifact.ivf ? { centroids: artifact.ivf.centroids } : {}),
      probe: this.settings.probe,
    });
    artifact.items.ids.forEach((id, n) => {
      if (!isLive(id)) return;
      index.upsert(
        id,
        artifact.items.vectors.subarray(n * d, (n + 1) * d),
        artifact.ivf?.assignment[n],
      );
    });
    const model: Model = {
      artifact,
      index,
      users: positions(artifact.users.ids),
      tags: positions(artifact.tags.ids),
      blogs: positions(artifact.blogs.ids),
    };
    for (const [postId, post] of this.pending) {
      if (index.has(postId)) this.pending.delete(postId);
      else this.foldInPost(model, postId, post);
    }
    this.model = model;
  }

  postCreated(postId: string, blogId: string, tags: readonly string[]): void {
    if (this.model?.index.has(postId) || this.pending.has(postId)) return;
    const post: PendingPost = { blogId, tags, engagers: new Map() };
    this.pending.set(postId, post);
    if (this.pending.size > this.settings.pendingPosts) {
      this.pending.delete(this.pending.keys().next().value!);
    }
    if (this.model) this.foldInPost(this.model, postId, post);
  }

  /**
   * A positive engagement of `weight` (the trainer's: like 1, reply and share 2, reblog 3):
   * refines a new post's vector while it has few engagers.
   */
  engaged(userId: string, postId: string, weight = 1): void {
    const post = this.pending.get(postId);
    if (!post) return;
    const before = post.engagers.get(userId);
    if (before === undefined) {
      const cap = this.settings.foldInEngagers * REMEMBERED_ENGAGERS_PER_FOLD_IN;
      if (post.engagers.size >= cap) return;
      post.engagers.set(userId, weight);
    } else {
      post.engagers.set(userId, before + weight);
    }
    if (this.model) this.foldInPost(this.model, postId, post);
  }

  postDeleted(postId: string): void {
    this.pending.delete(postId);
    this.model?.index.remove(postId);
  }

  /**
   * The user's vector (`recent`: the posts they engaged with, newest first, with times). With
   * nothing engaged since training, the trained one. Otherwise training's own row problem is
   * solved again over `recent`, before and after training alike (ALS's user step with the
   * item vectors fixed): the new engagements count as much as the old, and no term counts
   * twice. A user the model has not seen is folded in from `recent` the same way. Each
   * engagement weighs 1 here (the kinds are not kept with them). Undefined when there is
   * nothing to go on.
   */
  userVector(
    userId: string,
    recent: readonly { id: string; score: number }[],
  ): Float32Array | undefined {
    const model = this.model;
    if (!model) return undefined;
    const { artifact } = model;
    const d = artifact.dim;
    const n = model.users.get(userId);
    const trained =
      n === undefined ? undefined : artifact.users.vectors.subarray(n * d, (n + 1) * d);
    if (trained && !recent.some((e) => e.score > artifact.trainedAtMs)) return trained;
    const vectors = recent.flatMap((e) => {
      const v = model.index.get(e.id);
      return v ? [Float32Array.from(v)] : [];
    });
    if (vectors.length === 0) return trained;
    return foldIn(d, {
      gram: artifact.itemGram,
      regularization: artifact.regularization,
      alpha: artifact.alpha,
      vectors,
      weights: vectors.map(() => 1),
    });
  }

  /** The posts whose vectors score highest with `vector`, leaving out those `skip` names. */
  search(vector: Float32Array, k: number, skip?: (postId: string) => boolean): Neighbour[] {
    return this.model?.index.search(vector, k, skip) ?? [];
  }

  has(postId: string): boolean {
    return this.model?.index.has(postId) ?? false;
  }

  private foldInPost(model: Model, postId: string, post: PendingPost): void {
    const { artifact } = model;
    const d = artifact.dim;
    const row = (table: EmbeddingArtifact['tags'], n: number | undefined) =>
      n === undefined ? [] : [table.vectors.subarray(n * d, (n + 1) * d)];
    const content = meanVector(d, [
      ...post.tags.flatMap((tag) => row(artifact.tags, model.tags.get(tag))),
      ...row(artifact.blogs, model.blogs.get(post.blogId)),
    ]);
    // The first engagers the model knows, up to the cap; unknown ones contribute nothing.
    const engagers: { vector: Float32Array; weight: number }[] = [];
    for (const [userId, weight] of post.engagers) {
      if (engagers.length >= this.settings.foldInEngagers) break;
      const n = model.users.get(userId);
      if (n !== undefined) {
        engagers.push({ vector: artifact.users.vectors.subarray(n * d, (n + 1) * d), weight });
      }
    }
    const vector =
      engagers.length === 0
        ? content
        : foldIn(d, {
            gram: artifact.userGram,
            regularization: artifact.regularization,
            alpha: artifact.alpha,
            vectors: engagers.map((e) => e.vector),
            weights: engagers.map((e) => e.weight),
            ...(content ? { prior: content } : {}),
          });
    if (vector) model.index.upsert(postId, vector);
  }
}

function positions(ids: readonly string[]): Map<string, number> {
  return new Map(ids.map((id, n) => [id, n]));
}
