import { commonv1, type eventsv1 } from '@feedmesh/contracts';

let sequence = 0;

function event(atMs: number, payload: eventsv1.Event['payload']): eventsv1.Event {
  sequence += 1;
  return { eventId: `test-${sequence}`, atMs, payload };
}

export function blogCreated(blogId: string, atMs: number, name = blogId): eventsv1.Event {
  return event(atMs, {
    $case: 'blogCreated',
    value: { blogId, ownerUserId: `owner-${blogId}`, name, title: '' },
  });
}

export function postCreated(
  postId: string,
  blogId: string,
  atMs: number,
  options: { tags?: string[]; text?: string; reblogOf?: string } = {},
): eventsv1.Event {
  return event(atMs, {
    $case: 'postCreated',
    value: {
      postId,
      blogId,
      text: options.text ?? `post ${postId}`,
      tags: options.tags ?? [],
      mediaKind: commonv1.MediaKind.MEDIA_KIND_TEXT,
      reblogOf: options.reblogOf ?? '',
    },
  });
}

export function postDeleted(postId: string, atMs: number): eventsv1.Event {
  return event(atMs, { $case: 'postDeleted', value: { postId } });
}

export function follow(userId: string, blogId: string, atMs: number): eventsv1.Event {
  return event(atMs, { $case: 'follow', value: { userId, blogId } });
}

export function unfollow(userId: string, blogId: string, atMs: number): eventsv1.Event {
  return event(atMs, { $case: 'unfollow', value: { userId, blogId } });
}

export function engagement(
  userId: string,
  postId: string,
  atMs: number,
  kind = commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE,
): eventsv1.Event {
  return event(atMs, { $case: 'engagement', value: { userId, postId, kind } });
}
