import type { Logger, RedisClient } from '@feedmesh/service-kit';
import { LocalFanout, type LiveFeed } from './live-feed.js';
import { messageOf, redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

/**
 * The live feed across replicas over Redis pub/sub, one channel per user with listeners here:
 * a delivery costs one PUBLISH, and a replica hears only about the users it serves (polling
 * the inboxes instead would cost a read per subscriber per interval, 10,000 subscribers or
 * not). Pub/sub drops messages while a connection is down; the inbox does not, so after every
 * reconnect all local listeners are told to re-read it.
 *
 * On Redis Cluster, PUBLISH reaches every node; sharded pub/sub (SPUBLISH) is the next step
 * when that traffic matters.
 */
export class RedisLiveFeed implements LiveFeed {
  private readonly fanout = new LocalFanout();
  private readonly subscriber: RedisClient;
  /** Per user with listeners: the SUBSCRIBE they wait for. */
  private readonly subscriptions = new Map<string, Promise<unknown>>();
  private readonly channelUsers = new Map<string, string>();
  private connectedBefore = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
    private readonly logger: Logger,
  ) {
    this.subscriber = redis.duplicate();
    // Every stream opened while connecting waits for 'ready': thousands at a restart.
    this.subscriber.setMaxListeners(0);
    this.subscriber.on('error', (error: unknown) =>
      this.logger.warn({ err: error }, 'live feed: Redis subscriber connection error'),
    );
    this.subscriber.on('message', (channel: string) => {
      const userId = this.channelUsers.get(channel);
      if (userId !== undefined) this.fanout.notify(userId);
    });
    this.subscriber.on('ready', () => {
      if (!this.connectedBefore) {
        this.connectedBefore = true;
        return;
      }
      // ioredis resubscribes right after 'ready'; a PING queued behind those SUBSCRIBEs
      // answers once they are in effect, and only then is a re-read sure to miss nothing.
      setImmediate(() => {
        this.subscriber.ping().then(
          () => this.fanout.notifyAll(),
          (error: unknown) =>
            this.logger.warn({ err: messageOf(error) }, 'live feed: resync after reconnect failed'),
        );
      });
    });
  }

  async publish(userId: string): Promise<void> {
    const channel = this.keys.liveChannel(userId);
    await redisCall('PUBLISH', () => this.redis.publish(channel, userId));
  }

  async listen(userId: string, onChange: () => void): Promise<() => Promise<void>> {
    const channel = this.keys.liveChannel(userId);
    if (this.fanout.add(userId, onChange)) {
      this.channelUsers.set(channel, userId);
      this.subscriptions.set(
        userId,
        this.whenReady().then(() =>
          redisCall('SUBSCRIBE', () => this.subscriber.subscribe(channel)),
        ),
      );
    }
    const subscribed = this.subscriptions.get(userId);
    try {
      await subscribed;
    } catch (error) {
      // Let the next listener try again rather than wait on a failed SUBSCRIBE.
      if (this.subscriptions.get(userId) === subscribed) this.subscriptions.delete(userId);
      await this.stop(userId, channel, onChange);
      throw error;
    }
    return () => this.stop(userId, channel, onChange);
  }

  /**
   * Resolves once the subscriber connection is ready. ioredis writes a SUBSCRIBE at once while
   * the connection is up but its ready check is still running (SUBSCRIBE is allowed during
   * loading), and such a subscription is sometimes lost: a stream opened in the first moments
   * after start, or after a reconnect, would then hear nothing. Subscriptions made once ready
   * are restored by ioredis itself after a reconnect.
   */
  private whenReady(): Promise<void> {
    if (this.subscriber.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const settle = (error?: Error): void => {
        this.subscriber.off('ready', onReady);
        this.subscriber.off('end', onEnd);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = (): void => settle();
      const onEnd = (): void => settle(new Error('the live feed connection was closed'));
      this.subscriber.on('ready', onReady);
      this.subscriber.on('end', onEnd);
    });
  }

  listenerCount(): number {
    return this.fanout.size;
  }

  async close(): Promise<void> {
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  /** Unsubscribes with the user's last listener; a later SUBSCRIBE on this connection wins. */
  private async stop(userId: string, channel: string, onChange: () => void): Promise<void> {
    if (!this.fanout.remove(userId, onChange)) return;
    this.subscriptions.delete(userId);
    this.channelUsers.delete(channel);
    await this.subscriber.unsubscribe(channel).catch(() => undefined);
  }
}
