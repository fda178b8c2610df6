import { commonv1, type eventsv1 } from '@feedmesh/contracts';

/** Events the chaos tests publish; every one carries the `at_ms` it is given. */
export const chaosEvents = {
  blogCreated(blogId: string, atMs: number): eventsv1.Event {
    return {
      eventId: `${blogId}-created`,
      atMs,
      payload: {
        $case: 'blogCreated',
        value: { blogId, ownerUserId: `${blogId}-owner`, name: blogId, title: '' },
      },
    };
  },

  postCreated(postId: string, blogId: string, atMs: number, text: string): eventsv1.Event {
    return {
      eventId: `${postId}-created`,
      atMs,
      payload: {
        $case: 'postCreated',
        value: {
          postId,
          blogId,
          text,
          tags: ['chaos'],
          mediaKind: commonv1.MediaKind.MEDIA_KIND_TEXT,
          reblogOf: '',
        },
      },
    };
  },

  like(eventId: string, userId: string, postId: string, atMs: number): eventsv1.Event {
    return {
      eventId,
      atMs,
      payload: {
        $case: 'engagement',
        value: { userId, postId, kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
      },
    };
  },
};
