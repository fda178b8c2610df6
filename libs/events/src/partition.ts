import type { eventsv1 } from '@feedmesh/contracts';

/**
 * The entity whose events must stay in order: the post for post events, the blog for a new
 * blog, and the acting user for everything a user does (engagements, follows, impressions...),
 * so that one user's Follow and Unfollow, or Impression and click, share a partition.
 */
export function partitionKey(event: eventsv1.Event): string {
  const payload = event.payload;
  switch (payload?.$case) {
    case 'postCreated':
    case 'postDeleted':
      return `post:${payload.value.postId}`;
    case 'blogCreated':
      return `blog:${payload.value.blogId}`;
    case 'engagement':
    case 'follow':
    case 'unfollow':
    case 'block':
    case 'unblock':
    case 'impression':
    case 'sessionStarted':
    case 'notificationSent':
    case 'notificationOpened':
      return `user:${payload.value.userId}`;
    case undefined:
      return `event:${event.eventId}`;
  }
}

/** The partition (0 to partitions - 1) an event goes to. Stable across processes and versions. */
export function partitionOf(event: eventsv1.Event, partitions: number): number {
  return fnv1a32(partitionKey(event)) % partitions;
}

const encoder = new TextEncoder();

/** 32-bit FNV-1a over UTF-8: tiny, fast, and the same in every runtime (unlike string hashes). */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return hash >>> 0;
}
