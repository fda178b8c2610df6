/**
 * Every Redis key the notification service writes, under `<REDIS_PREFIX>:notification`.
 * Keys carry hash tags so that what one script or pipeline touches shares a Cluster slot:
 * a user's inbox, preferences and fatigue under `{u:<user>}`, a post's and a blog's directory
 * entry under `{p:<post>}` and `{b:<blog>}`, and each digest shard under `{nd:<shard>}`.
 * Ids are [A-Za-z0-9_.:-], so they never contain the braces or the `|` used as a separator.
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

  digestShard(shard: number): string {
    return `${this.root}:{nd:${shard}}`;
  }

  liveChannel(userId: string): string {
    return `${this.root}:live:{u:${userId}}`;
  }
}
