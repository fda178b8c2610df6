/**
 * Every Redis key the notification service writes, under `<REDIS_PREFIX>:notification`.
 * Keys carry hash tags so that what one script or pipeline touches shares a Cluster slot:
 * a user's inbox, preferences, quotas, interests and sessions under `{u:<user>}`, a post's and
 * a blog's directory entry and fans under `{p:<post>}` and `{b:<blog>}`, a tag's fans under
 * `{t:<tag>}`, each digest shard under `{nd:<shard>}` and each lapse shard under `{ns:<shard>}`.
 * Ids are [A-Za-z0-9_.:-], so they never contain the braces or the `|` used as a separator;
 * tags may, so they are percent-encoded.
 */
export class NotificationKeys {
  private readonly root: string;

  constructor(prefix: string) {
    this.root = `${prefix}:notification`;
  }

  user(userId: string): string {
    return `${this.root}:{u:${userId}}`;
  }

  post(postId: string): string {
    return `${this.root}:{p:${postId}}`;
  }

  blog(blogId: string): string {
    return `${this.root}:{b:${blogId}}`;
  }

  tag(tag: string): string {
    return `${this.root}:{t:${encodeURIComponent(tag)}}`;
  }

  /** Lapse checks of the users hashed to `shard` (SessionStore). */
  sessionShard(shard: number): string {
    return `${this.root}:{ns:${shard}}`;
  }

  /** A periodic job's lease, so one replica runs it per period. */
  job(name: string): string {
    return `${this.root}:{job:${name}}`;
  }

  digestShard(shard: number): string {
    return `${this.root}:{nd:${shard}}`;
  }

  liveChannel(userId: string): string {
    return `${this.root}:live:{u:${userId}}`;
  }
}
