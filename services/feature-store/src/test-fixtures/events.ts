import { commonv1, type eventsv1 } from '@feedmesh/contracts';

/** Builders of the events the tests publish; ids are the tests' own, times explicit. */
export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const Kind = commonv1.EngagementKind;

type Payload = NonNullable<eventsv1.Event['payload']>;

function event(eventId: string, atMs: number, payload: Payload): eventsv1.Event {
  return { eventId, atMs, payload };
}

export const blogCreated = (id: string, at: number, blogId: string, ownerUserId = '') =>
  event(id, at, {
    $case: 'blogCreated',
    value: { blogId, ownerUserId, name: blogId, title: '' },
  });

export const postCreated = (
  id: string,
  at: number,
  post: { postId: string; blogId: string; tags?: string[]; text?: string; reblogOf?: string },
) =>
  event(id, at, {
    $case: 'postCreated',
    value: {
      postId: post.postId,
      blogId: post.blogId,
      text: post.text ?? '',
      tags: post.tags ?? [],
      mediaKind: commonv1.MediaKind.MEDIA_KIND_TEXT,
      reblogOf: post.reblogOf ?? '',
    },
  });

export const postDeleted = (id: string, at: number, postId: string) =>
  event(id, at, { $case: 'postDeleted', value: { postId } });

export const engaged = (
  id: string,
  at: number,
  userId: string,
  postId: string,
  kind: commonv1.EngagementKind,
) => event(id, at, { $case: 'engagement', value: { userId, postId, kind } });

export const followed = (id: string, at: number, userId: string, blogId: string) =>
  event(id, at, { $case: 'follow', value: { userId, blogId } });

export const unfollowed = (id: string, at: number, userId: string, blogId: string) =>
  event(id, at, { $case: 'unfollow', value: { userId, blogId } });

export const blocked = (id: string, at: number, userId: string, blogId: string) =>
  event(id, at, { $case: 'block', value: { userId, blogId } });

export const unblocked = (id: string, at: number, userId: string, blogId: string) =>
  event(id, at, { $case: 'unblock', value: { userId, blogId } });

/** An Impression; `reblogOf` names the original when the post served is a reblog. */
export const served = (id: string, at: number, userId: string, postId: string, reblogOf?: string) =>
  event(id, at, {
    $case: 'impression',
    value: {
      userId,
      postId,
      ...(reblogOf === undefined ? {} : { reblogOf }),
      requestId: 'r1',
      position: 0,
      surface: commonv1.Surface.SURFACE_DASHBOARD,
      experiments: [],
      source: 'following',
      model: '',
      score: 0,
      featureSchema: '',
      featureValues: [],
      featureMissing: Buffer.alloc(0),
    },
  });

export const sessionStarted = (id: string, at: number, userId: string) =>
  event(id, at, { $case: 'sessionStarted', value: { userId } });

/** A small world with every kind of event, in log order. */
export function sampleWorld(): eventsv1.Event[] {
  return [
    blogCreated('e01', T0, 'b1', 'u9'),
    blogCreated('e02', T0 + 1_000, 'b2', 'u8'),
    postCreated('e03', T0 + 2_000, {
      postId: 'p1',
      blogId: 'b1',
      tags: ['cats', 'art'],
      text: 'hello',
    }),
    postCreated('e04', T0 + 3_000, { postId: 'p2', blogId: 'b2', tags: ['dogs'], reblogOf: 'p1' }),
    engaged('e05', T0 + HOUR, 'u1', 'p1', Kind.ENGAGEMENT_KIND_LIKE),
    engaged('e06', T0 + 2 * HOUR, 'u1', 'p1', Kind.ENGAGEMENT_KIND_REBLOG),
    engaged('e07', T0 + 3 * HOUR, 'u1', 'p2', Kind.ENGAGEMENT_KIND_HIDE),
    engaged('e08', T0 + 4 * HOUR, 'u2', 'p1', Kind.ENGAGEMENT_KIND_LIKE),
    followed('e09', T0 + 5 * HOUR, 'u1', 'b1'),
    followed('e10', T0 + 6 * HOUR, 'u1', 'b2'),
    unfollowed('e11', T0 + 7 * HOUR, 'u1', 'b2'),
    followed('e12', T0 + 8 * HOUR, 'u2', 'b1'),
    blocked('e13', T0 + 9 * HOUR, 'u1', 'b2'),
    served('e14', T0 + 10 * HOUR, 'u1', 'p1'),
    served('e15', T0 + 11 * HOUR, 'u1', 'p2'),
    served('e16', T0 + 12 * HOUR, 'u2', 'p1'),
    sessionStarted('e17', T0 + 13 * HOUR, 'u1'),
    // Delivered before the PostCreated it depends on: they travel in different partitions.
    engaged('e18', T0 + 15 * HOUR, 'u2', 'p3', Kind.ENGAGEMENT_KIND_REPLY),
    postCreated('e19', T0 + 14 * HOUR, { postId: 'p3', blogId: 'b1', tags: ['art'] }),
    postDeleted('e20', T0 + 16 * HOUR, 'p2'),
    sessionStarted('e21', T0 + 17 * HOUR, 'u2'),
  ];
}
