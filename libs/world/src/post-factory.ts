import type { SeededRandom } from './random.js';
import type { HourEvents } from './hour-events.js';
import { composePostText, composeReblogComment, pickTags } from './post-text.js';
import type { PostRecord, RecentPosts } from './recent-posts.js';
import { TOPICS, type Topic } from './topics.js';
import { blogId, type WorldTruth } from './world-truth.js';

/** A reblog takes the most engaged of this many recent posts: popular posts get reblogged. */
const REBLOG_CANDIDATES = 3;

/**
 * Writes a blog's next post: about one of the blog's topics (by weight), or, now and then, a
 * reblog of a popular recent post about it (never of the blog's own, always of the root, and
 * never of a deleted root).
 */
export class PostFactory {
  constructor(
    private readonly random: SeededRandom,
    private readonly truth: WorldTruth,
    private readonly recent: RecentPosts,
  ) {}

  create(blog: number, id: string, at: number, out: HourEvents): PostRecord {
    const blogTopics = this.truth.blogs[blog]!.topics;
    const topicIndex = blogTopics[this.random.weighted(blogTopics.map((t) => t.weight))]!.topic;
    const topic = TOPICS[topicIndex] as Topic;
    let post: PostRecord;
    let text: string;
    const root = this.random.chance(this.truth.parameters.reblogShare)
      ? this.reblogRoot(blog, topicIndex)
      : undefined;
    if (root !== undefined) {
      post = {
        id,
        blog,
        topic: root.topic,
        tags: root.tags,
        mediaKind: root.mediaKind,
        root: root.root ?? root.id,
        rootPost: root.rootPost ?? root,
        rootBlog: root.rootBlog,
        engagements: 0,
        deleted: false,
      };
      text = composeReblogComment(this.random, TOPICS[root.topic] as Topic);
    } else {
      const secondary = blogTopics.find((t) => t.topic !== topicIndex);
      const extra = secondary === undefined ? undefined : TOPICS[secondary.topic];
      post = {
        id,
        blog,
        topic: topicIndex,
        tags: pickTags(this.random, topic, extra),
        mediaKind: this.random.pick(topic.media),
        root: undefined,
        rootPost: undefined,
        rootBlog: blog,
        engagements: 0,
        deleted: false,
      };
      text = composePostText(this.random, topic);
    }
    out.add(at, {
      $case: 'postCreated',
      value: {
        postId: id,
        blogId: blogId(blog),
        text,
        tags: [...post.tags],
        mediaKind: post.mediaKind,
        reblogOf: post.root ?? '',
      },
    });
    return post;
  }

  /**
   * A popular recent post for `blog` to reblog: another blog's, whose original is not deleted
   * (reblog_of is always the root), about `topic`, else about the blog's other topics, else
   * about what its owner likes. Undefined when there is none yet: the post is an original.
   *
   * In a small world a topic's recent posts are mostly one or two blogs' own: drawing first
   * and discarding the blog's own posts turned half the small preset's reblogs into originals
   * (4-7% of its posts, not reblogShare's 12%), and a blog alone on its topic never reblogged.
   */
  private reblogRoot(blog: number, topic: number): PostRecord | undefined {
    const eligible = (post: PostRecord) =>
      post.rootBlog !== blog && post.rootPost?.deleted !== true;
    for (const candidateTopic of this.reblogTopics(blog, topic)) {
      const root = this.recent.fromTopic(this.random, candidateTopic, REBLOG_CANDIDATES, eligible);
      if (root !== undefined) return root;
    }
    return undefined;
  }

  private reblogTopics(blog: number, topic: number): number[] {
    const { topics, ownerUserId } = this.truth.blogs[blog]!;
    const interests = this.truth.user(ownerUserId)?.interests ?? [];
    return [topic, ...topics.map((t) => t.topic), ...interests.map((i) => i.topic)].filter(
      (t, i, all) => all.indexOf(t) === i,
    );
  }
}
