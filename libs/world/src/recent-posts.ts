import type { commonv1 } from '@feedmesh/contracts';
import type { SeededRandom } from './random.js';

/** How many times `candidates` draws a filtered `fromTopic` makes at most. */
const ELIGIBLE_DRAWS = 4;

/** What the simulation remembers about a post while it is recent enough to be seen. */
export interface PostRecord {
  readonly id: string;
  readonly blog: number;
  readonly topic: number;
  readonly tags: readonly string[];
  readonly mediaKind: commonv1.MediaKind;
  /** The root post when this is a reblog. */
  readonly root: string | undefined;
  /** The root post's record when this is a reblog: once the root is deleted, nobody reblogs it. */
  readonly rootPost: PostRecord | undefined;
  /** The blog of the root post (this post's blog for an original). */
  readonly rootBlog: number;
  /** Positive engagements so far: what makes a post popular. */
  engagements: number;
  deleted: boolean;
}

/**
 * The newest posts of each topic and of each blog, in fixed-size rings: what people can come
 * across in a session. Bounded, so a world of any size streams in constant memory per blog.
 */
export class RecentPosts {
  private readonly topicRings: Ring[];
  private readonly blogRings: (Ring | undefined)[];

  constructor(
    topics: number,
    blogs: number,
    private readonly perTopic = 400,
    private readonly perBlog = 8,
  ) {
    this.topicRings = Array.from({ length: topics }, () => new Ring(this.perTopic));
    this.blogRings = new Array<Ring | undefined>(blogs).fill(undefined);
  }

  add(post: PostRecord): void {
    this.topicRings[post.topic]?.push(post);
    let ring = this.blogRings[post.blog];
    if (ring === undefined) {
      ring = new Ring(this.perBlog);
      this.blogRings[post.blog] = ring;
    }
    ring.push(post);
  }

  /**
   * A recent post of the topic, newer ones and popular ones more likely: the better of two
   * recency-biased draws, so engagement snowballs on what is already liked.
   *
   * With `eligible`, the best of `candidates` posts it accepts, drawn again (up to
   * ELIGIBLE_DRAWS times as often) past those it refuses: in a small world a topic's recent
   * posts are mostly one or two blogs', and a filter applied after the draw would refuse most
   * of what it is offered.
   */
  fromTopic(
    random: SeededRandom,
    topic: number,
    candidates = 2,
    eligible?: (post: PostRecord) => boolean,
  ): PostRecord | undefined {
    const ring = this.topicRings[topic];
    if (ring === undefined) return undefined;
    const draws = eligible === undefined ? candidates : candidates * ELIGIBLE_DRAWS;
    let best: PostRecord | undefined;
    let found = 0;
    for (let i = 0; i < draws && found < candidates; i += 1) {
      const post = ring.recent(random, this.perTopic / 4);
      if (post === undefined || post.deleted || (eligible !== undefined && !eligible(post))) {
        continue;
      }
      found += 1;
      if (best === undefined || post.engagements > best.engagements) best = post;
    }
    return best;
  }

  fromBlog(random: SeededRandom, blog: number): PostRecord | undefined {
    const post = this.blogRings[blog]?.recent(random, this.perBlog / 2);
    return post?.deleted ? undefined : post;
  }
}

class Ring {
  private readonly items: PostRecord[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  push(post: PostRecord): void {
    if (this.items.length < this.capacity) this.items.push(post);
    else this.items[this.next] = post;
    this.next = (this.next + 1) % this.capacity;
  }

  /** An item `age` places from the newest, age exponentially distributed with `meanAge`. */
  recent(random: SeededRandom, meanAge: number): PostRecord | undefined {
    const size = this.items.length;
    if (size === 0) return undefined;
    const age = Math.floor(random.exponential(meanAge)) % size;
    return this.items[(this.next - 1 - age + 2 * this.capacity) % this.capacity];
  }
}
