import type { notificationv1 } from '@feedmesh/contracts';
import { execute } from 'abort-controller-x';
import type { InboxStore } from './inbox-store.js';
import type { LiveFeed } from './live-feed.js';

/** Notifications read from the inbox per round trip while replaying or catching up. */
const READ_BATCH = 100;

/**
 * One Subscribe stream: what the user's inbox gets after `afterId` (replayed first, marked
 * so), then everything delivered while the stream lasts, in id order, each once.
 *
 * The inbox is the only source. The stream remembers the last id it sent and, whenever the
 * live feed says the inbox changed, sends what is newer. It starts listening before its first
 * read, so nothing delivered during the replay is missed, and it never sends an id at or
 * below the last one, so nothing replayed comes again live. Without `afterId` the stream
 * starts after the newest notification at the time of the call.
 *
 * Ends when `signal` aborts (the client cancelled, or the server is draining).
 */
export async function* notificationStream(
  inbox: InboxStore,
  live: LiveFeed,
  userId: string,
  afterId: string,
  signal: AbortSignal,
): AsyncGenerator<notificationv1.SubscribeResponse, void, undefined> {
  let last = afterId !== '' ? afterId : await inbox.latestId(userId);
  const changed = new ChangeSignal();
  const stopListening = await live.listen(userId, () => changed.raise());
  try {
    // The first read replays, or (without afterId) covers the moments before listening began.
    let replayed = afterId !== '';
    for (;;) {
      for (;;) {
        const batch = await inbox.after(userId, last, READ_BATCH);
        for (const notification of batch) {
          yield { notification, replayed };
          last = notification.notificationId;
        }
        if (batch.length < READ_BATCH) break;
      }
      replayed = false;
      await changed.next(signal);
    }
  } finally {
    await stopListening();
  }
}

/** A level-triggered wake-up: raises while nobody waits are kept, many collapse into one. */
class ChangeSignal {
  private raised = false;
  private wake: (() => void) | undefined;

  raise(): void {
    this.raised = true;
    this.wake?.();
  }

  async next(signal: AbortSignal): Promise<void> {
    if (!this.raised) {
      await execute<void>(signal, (resolve) => {
        this.wake = resolve;
        return () => {
          this.wake = undefined;
        };
      });
    }
    this.wake = undefined;
    this.raised = false;
  }
}
