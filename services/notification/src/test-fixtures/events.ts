import { commonv1, type eventsv1 } from '@feedmesh/contracts';

/** Event times in tests: well after 2020, so ids stay 16 digits. */
export const T0 = 1_800_000_000_000;

let counter = 0;

function nextEventId(kind: string): string {
  counter += 1;
  return `${kind}-${process.pid}-${counter}`;
}

export function blogCreated(
  blogId: string,
  ownerUserId: string,
  name: string,
  atMs = T0,
): eventsv1.Event {
  return {
    eventId: nextEventId('blog'),
    atMs,
    payload: { $case: 'blogCreated', value: { blogId, ownerUserId, name, title: '' } },
  };
}

export function postCreated(
  postId: string,
  blogId: string,
  atMs = T0,
  tags: string[] = [],
): eventsv1.Event {
  return {
    eventId: nextEventId('post'),
    atMs,
    payload: {
      $case: 'postCreated',
      value: {
        postId,
        blogId,
        text: 'hello',
        tags,
        mediaKind: commonv1.MediaKind.MEDIA_KIND_TEXT,
        reblogOf: '',
      },
    },
  };
}

export function postDeleted(postId: string, atMs = T0): eventsv1.Event {
  return {
    eventId: nextEventId('delete'),
    atMs,
    payload: { $case: 'postDeleted', value: { postId } },
  };
}

export function engagement(
  kind: commonv1.EngagementKind,
  userId: string,
  postId: string,
  atMs = T0,
): eventsv1.Event {
  return {
    eventId: nextEventId('engagement'),
    atMs,
    payload: { $case: 'engagement', value: { userId, postId, kind } },
  };
}

export function like(userId: string, postId: string, atMs = T0): eventsv1.Event {
  return engagement(commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE, userId, postId, atMs);
}

export function follow(userId: string, blogId: string, atMs = T0): eventsv1.Event {
  return {
    eventId: nextEventId('follow'),
    atMs,
    payload: { $case: 'follow', value: { userId, blogId } },
  };
}

/** A clock tests move by hand. */
export class FakeClock {
  constructor(public nowMs = T0) {}

  readonly now = (): number => this.nowMs;

  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** A Block, or with `blocked` false an Unblock, of `blogId` by `userId`. */
export function block(userId: string, blogId: string, atMs = T0, blocked = true): eventsv1.Event {
  return {
    eventId: nextEventId(blocked ? 'block' : 'unblock'),
    atMs,
    payload: blocked
      ? { $case: 'block', value: { userId, blogId } }
      : { $case: 'unblock', value: { userId, blogId } },
  };
}
