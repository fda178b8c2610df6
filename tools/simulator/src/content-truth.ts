import { topicOfTag, type TopicWeight, type WorldTruth } from '@feedmesh/world';
import { hashUniform } from './randomness.js';
import { DAY_MS } from './simulation-options.js';

/** What the simulator knows about a creator that the mesh does not: how good they are. */
export interface Creator {
  readonly blogId: string;
  readonly ownerUserId: string;
  readonly createdAtMs: number;
  readonly topics: readonly TopicWeight[];
  /** Relative posting rate. */
  readonly postRate: number;
  /** Hidden, in [0, 1]: the mean quality of their posts. */
  readonly quality: number;
}

/** A post as the simulator's users judge it. */
export interface PostView {
  readonly postId: string;
  /**
   * What the draws about this post hash (its hidden quality, each reaction to it): the post's
   * id, or for a post the simulator wrote, its place in the run without the run's tag, so the
   * Nth post of every run with one seed is the same post. Default the id.
   */
  readonly drawKey?: string;
  readonly blogId: string;
  /** Topics of its tags (indexes in TOPICS), deduplicated. */
  readonly topics: readonly number[];
  /** Hidden, in [0, 1]. */
  readonly quality: number;
  /** The creator started within `newCreatorDays` of the moment it is seen. */
  readonly fromNewCreator: boolean;
}

/**
 * The simulator's truth table: every creator's hidden quality and age, and each post's hidden
 * quality (half the creator's, half the post's own luck). Qualities are hashes of the seed
 * and ids, so a post is equally good in every run and every variant.
 */
export class ContentTruth {
  private readonly creators = new Map<string, Creator>();
  private readonly postTopics = new Map<string, readonly number[]>();
  private readonly postKeys = new Map<string, string>();

  constructor(
    private readonly seed: number,
    private readonly newCreatorMs: number,
    world: WorldTruth,
  ) {
    for (const blog of world.blogs) {
      this.add({
        blogId: blog.id,
        ownerUserId: blog.ownerUserId,
        createdAtMs: blog.createdAtMs,
        topics: blog.topics,
        postRate: blog.postRate,
        quality: 0.15 + 0.8 * hashUniform(seed, 'creator', blog.id),
      });
    }
  }

  static forWorld(seed: number, world: WorldTruth): ContentTruth {
    return new ContentTruth(seed, world.parameters.newCreatorDays * DAY_MS, world);
  }

  add(creator: Creator): void {
    this.creators.set(creator.blogId, creator);
  }

  creator(blogId: string): Creator | undefined {
    return this.creators.get(blogId);
  }

  /** Creators that exist at `atMs`, in a stable order. */
  creatorsAt(atMs: number): Creator[] {
    return [...this.creators.values()].filter((creator) => creator.createdAtMs <= atMs);
  }

  /**
   * Remembers the topics of a post the simulator wrote (the feed's tags say the same), and the
   * key its draws hash in place of its id (see `PostView.drawKey`).
   */
  notePost(postId: string, topics: readonly number[], drawKey?: string): void {
    this.postTopics.set(postId, topics);
    if (drawKey !== undefined) this.postKeys.set(postId, drawKey);
  }

  /** A served item as a user judges it at `atMs`. Unknown blogs count as established. */
  view(item: { postId: string; blogId: string; tags: readonly string[] }, atMs: number): PostView {
    const creator = this.creators.get(item.blogId);
    const creatorQuality = creator?.quality ?? 0.5;
    const drawKey = this.postKeys.get(item.postId) ?? item.postId;
    const own = hashUniform(this.seed, 'post', drawKey);
    return {
      postId: item.postId,
      drawKey,
      blogId: item.blogId,
      topics: this.postTopics.get(item.postId) ?? topicsOfTags(item.tags),
      quality: 0.5 * creatorQuality + 0.5 * own,
      fromNewCreator: creator !== undefined && atMs - creator.createdAtMs < this.newCreatorMs,
    };
  }
}

export function topicsOfTags(tags: readonly string[]): number[] {
  const topics: number[] = [];
  for (const tag of tags) {
    const topic = topicOfTag(tag);
    if (topic !== undefined && !topics.includes(topic)) topics.push(topic);
  }
  return topics;
}
