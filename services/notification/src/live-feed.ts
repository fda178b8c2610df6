/**
 * "Something new in user U's inbox", from the replica that delivered it to every Subscribe
 * stream of U in any replica. It carries no notification: a stream reads the inbox after the
 * last id it sent, so notifications reach it in id order, once each, whichever replica
 * delivered them and in whatever order the messages arrive.
 */
export interface LiveFeed {
  publish(userId: string): Promise<void>;
  /**
   * Calls `onChange` whenever U's inbox may have changed, including after the feed may have
   * missed messages (a reconnect to Redis). Resolves once listening is in effect: anything
   * delivered after that is followed by a call. Returns a function that stops listening.
   */
  listen(userId: string, onChange: () => void): Promise<() => Promise<void>>;
  /** Listeners in this process. */
  listenerCount(): number;
  close(): Promise<void>;
}

/** The in-process half of every feed: listeners by user. */
export class LocalFanout {
  private readonly byUser = new Map<string, Set<() => void>>();
  private total = 0;

  /** True when it is the user's first listener. */
  add(userId: string, listener: () => void): boolean {
    let listeners = this.byUser.get(userId);
    const first = listeners === undefined;
    if (listeners === undefined) {
      listeners = new Set();
      this.byUser.set(userId, listeners);
    }
    if (!listeners.has(listener)) this.total += 1;
    listeners.add(listener);
    return first;
  }

  /** True when it was the user's last listener. */
  remove(userId: string, listener: () => void): boolean {
    const listeners = this.byUser.get(userId);
    if (listeners === undefined || !listeners.delete(listener)) return false;
    this.total -= 1;
    if (listeners.size > 0) return false;
    this.byUser.delete(userId);
    return true;
  }

  notify(userId: string): void {
    for (const listener of this.byUser.get(userId) ?? []) listener();
  }

  notifyAll(): void {
    for (const listeners of this.byUser.values()) for (const listener of listeners) listener();
  }

  get size(): number {
    return this.total;
  }
}

/** The embedded feed: one process, so the fan-out is the whole feed. */
export class InMemoryLiveFeed implements LiveFeed {
  private readonly fanout = new LocalFanout();

  async publish(userId: string): Promise<void> {
    this.fanout.notify(userId);
  }

  async listen(userId: string, onChange: () => void): Promise<() => Promise<void>> {
    this.fanout.add(userId, onChange);
    return async () => {
      this.fanout.remove(userId, onChange);
    };
  }

  listenerCount(): number {
    return this.fanout.size;
  }

  async close(): Promise<void> {}
}
