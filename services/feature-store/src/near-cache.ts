import type { Redis } from 'ioredis';

/** What a near cache reports, for metrics and the benchmark. */
export interface NearCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly invalidations: number;
  /** Whole-cache flushes: a connection dropped, or Redis flushed its database. */
  readonly flushes: number;
  readonly entries: number;
}

export interface NearCacheOptions {
  /** At most this many values are kept; the oldest go first. */
  readonly maxEntries: number;
  /** Names the two connections in CLIENT LIST: `<name>:reader`, `<name>:invalidations`. */
  readonly name?: string;
}

/** Every read key gets one of these while its read is in flight; an invalidation removes it. */
type ReadToken = number;

/**
 * One value as read, for a holder to keep: while `live`, it is what Redis holds. It dies for
 * good (Redis said the key changed, it was evicted, the cache flushed, or the read was never
 * kept), and the holder then reads the key again. A holder that keeps the entry by an index of
 * its own finds the value without hashing the key, and keeps its decoding of the value with it.
 */
export class NearCacheEntry {
  live: boolean;
  /** The holder's decoding of `value`, made once (undefined: not decoded yet). */
  decoded: Float64Array | null | undefined = undefined;
  /**
   * Called once when the entry dies, for a holder that keeps what it knows of the value in
   * its own arrays (set only on a live entry).
   */
  onDeath: (() => void) | undefined = undefined;

  constructor(
    readonly value: Buffer | null,
    live = true,
  ) {
    this.live = live;
  }

  kill(): void {
    if (!this.live) return;
    this.live = false;
    this.onDeath?.();
  }
}

/**
 * Values of Redis keys kept in this process and dropped the moment Redis says they changed:
 * Redis's server-assisted client-side caching (CLIENT TRACKING, two-connection mode). The
 * reading connection has tracking on, so Redis remembers every key it reads (missing ones
 * too) and, when one is written, deleted or expires, pushes its name to the invalidation
 * connection's `__redis__:invalidate` subscription. A key's value is kept from its read until
 * that message.
 *
 * Races: a read marks each key it asks for with a token; an invalidation arriving before the
 * reply (the two connections are not ordered against each other) takes the mark away, and the
 * reply is then used for that read but not kept. Losing either connection flushes everything,
 * and the cache stays off until both are back and tracking is on again (the Redis
 * documentation's rules for this mode). Values written since a read are served until their
 * invalidation arrives: a few milliseconds on one host, the staleness a feature read accepts.
 *
 * A single Redis only: on a Cluster each node would need its own pair of connections.
 */
export class TrackedNearCache {
  private readonly values = new Map<string, NearCacheEntry>();
  private readonly pending = new Map<string, ReadToken>();
  private nextToken = 1;
  private readonly reader: Redis;
  private readonly invalidations: Redis;
  /** Tracking is on and invalidations are subscribed: reads may be kept. */
  private tracking = false;
  /** Bumped whenever a connection drops: a read or a setup from before it keeps nothing. */
  private epoch = 0;
  private closed = false;
  /** Setups run one at a time (each connection's 'ready' asks for one). */
  private settingUp: Promise<void> = Promise.resolve();
  private readonly counts = { hits: 0, misses: 0, invalidations: 0, flushes: 0 };

  private constructor(
    redis: Redis,
    private readonly options: NearCacheOptions,
  ) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
    const name = options.name ?? 'feedmesh-near-cache';
    this.reader = redis.duplicate({ connectionName: `${name}:reader` });
    // Subscribed again by setUp, after it has asked the new connection's id (a subscribed
    // connection answers nothing else).
    this.invalidations = redis.duplicate({
      connectionName: `${name}:invalidations`,
      autoResubscribe: false,
    });
    this.invalidations.on('messageBuffer', (channel: Buffer, message: unknown) => {
      if (channel.toString() === INVALIDATE_CHANNEL) this.invalidate(message);
    });
    for (const connection of [this.reader, this.invalidations]) {
      connection.on('close', () => this.lost());
      connection.on('ready', () => void this.setUp());
      // ioredis reconnects by itself; its error events would otherwise be unhandled.
      connection.on('error', () => undefined);
    }
  }

  /** A cache on `redis`'s server, with tracking on before it resolves. */
  static async open(redis: Redis, options: NearCacheOptions): Promise<TrackedNearCache> {
    const cache = new TrackedNearCache(redis, options);
    try {
      await Promise.all([ready(cache.reader), ready(cache.invalidations)]);
      await cache.setUp();
      if (!cache.tracking) throw new Error('CLIENT TRACKING could not be turned on');
    } catch (error) {
      await cache.close();
      throw new Error(
        `the feature store's near cache could not start: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
    }
    return cache;
  }

  get stats(): NearCacheStats {
    return { ...this.counts, entries: this.values.size };
  }

  /** GETs `keys` (binary), answering what it can from memory and the rest with one MGET. */
  async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return (await this.read(keys)).map((entry) => entry.value);
  }

  /**
   * `mget`, as entries: a live one is kept here until its key changes; one whose read raced
   * an invalidation (or came while tracking was off) is served dead, for this read only.
   */
  async read(keys: readonly string[]): Promise<NearCacheEntry[]> {
    const out = new Array<NearCacheEntry>(keys.length);
    const missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const entry = this.values.get(keys[i]!);
      if (entry === undefined) missing.push(i);
      else out[i] = entry;
    }
    this.counts.hits += keys.length - missing.length;
    this.counts.misses += missing.length;
    if (missing.length === 0) return out;
    const epoch = this.epoch;
    const keep = this.tracking;
    const token = this.nextToken++;
    const asked = missing.map((i) => keys[i]!);
    if (keep) for (const key of asked) this.pending.set(key, token);
    let read: (Buffer | null)[];
    try {
      read = await this.reader.mgetBuffer(...asked);
    } catch (error) {
      if (keep)
        for (const key of asked) if (this.pending.get(key) === token) this.pending.delete(key);
      throw error;
    }
    const kept = keep && this.tracking && this.epoch === epoch;
    for (let j = 0; j < asked.length; j++) {
      const key = asked[j]!;
      const value = read[j] ?? null;
      let keepIt = false;
      if (keep && this.pending.get(key) === token) {
        this.pending.delete(key);
        keepIt = kept;
      }
      const entry = new NearCacheEntry(value, keepIt);
      out[missing[j]!] = entry;
      if (keepIt) this.remember(key, entry);
    }
    return out;
  }

  /**
   * Drops `keys` now, without waiting for Redis's word: a process that has just written them
   * reads its own writes (the invalidation, on the other connection, may come after its next
   * read). A read in flight for one of them keeps nothing either.
   */
  forget(keys: Iterable<string>): void {
    for (const key of keys) {
      this.drop(key);
      this.pending.delete(key);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.lost();
    this.reader.disconnect();
    this.invalidations.disconnect();
  }

  private remember(key: string, entry: NearCacheEntry): void {
    const known = this.values.get(key);
    if (known !== undefined) known.kill();
    else if (this.values.size >= this.options.maxEntries) {
      // The oldest entry: a Map iterates in insertion order.
      const oldest = this.values.keys().next().value;
      if (oldest !== undefined) this.drop(oldest);
    }
    this.values.set(key, entry);
  }

  private drop(key: string): void {
    const entry = this.values.get(key);
    if (entry === undefined) return;
    entry.kill();
    this.values.delete(key);
  }

  /** `message`: the keys that changed, or null when Redis flushed its database. */
  private invalidate(message: unknown): void {
    if (!Array.isArray(message)) {
      this.flush();
      return;
    }
    for (const raw of message) {
      const key = String(raw);
      this.drop(key);
      this.pending.delete(key);
      this.counts.invalidations++;
    }
  }

  private flush(): void {
    if (this.values.size > 0) this.counts.flushes++;
    for (const entry of this.values.values()) entry.kill();
    this.values.clear();
    this.pending.clear();
  }

  /** A connection dropped: nothing read so far can be trusted, nor kept until set up again. */
  private lost(): void {
    this.epoch++;
    this.tracking = false;
    this.flush();
  }

  private setUp(): Promise<void> {
    this.settingUp = this.settingUp.then(() => this.trySetUp());
    return this.settingUp;
  }

  /** Subscribes, then turns tracking on towards the subscriber; a no-op until both are up. */
  private async trySetUp(): Promise<void> {
    if (this.closed || this.tracking) return;
    if (this.reader.status !== 'ready' || this.invalidations.status !== 'ready') return;
    const epoch = this.epoch;
    try {
      const id = (await this.invalidations.client('ID')) as number;
      await this.invalidations.subscribe(INVALIDATE_CHANNEL);
      // Off first: a reader still tracking towards a dropped subscriber would refuse a new one.
      await this.reader.client('TRACKING', 'OFF');
      await this.reader.client('TRACKING', 'ON', 'REDIRECT', String(id));
      if (epoch === this.epoch && !this.closed) {
        this.flush();
        this.tracking = true;
      }
    } catch {
      // A connection dropped during the setup: its 'ready' sets up again.
    }
  }
}

const INVALIDATE_CHANNEL = '__redis__:invalidate';

async function ready(connection: Redis): Promise<void> {
  if (connection.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const onReady = () => {
      connection.off('end', onEnd);
      resolve();
    };
    const onEnd = () => {
      connection.off('ready', onReady);
      reject(new Error('the connection closed before it was ready'));
    };
    connection.once('ready', onReady);
    connection.once('end', onEnd);
  });
}
