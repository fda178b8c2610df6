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
      ? this.recent.fromTopic(this.random, topicIndex, REBLOG_CANDIDATES)
      : undefined;
    // A live reblog of a deleted original is no way to reblog it: reblog_of is always the root.
    if (root !== undefined && root.rootBlog !== blog && root.rootPost?.deleted !== true) {
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
}
