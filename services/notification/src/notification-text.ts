import { commonv1 } from '@feedmesh/contracts';
import type { DirectoryStore } from './directory-store.js';
import type { NotificationDraft } from './inbox-store.js';
import type { NotificationCandidate } from './notification-candidate.js';

const { EngagementKind } = commonv1;

/** Actors named in a body; the rest are counted. */
const NAMED_ACTORS = 3;

const VERBS: ReadonlyMap<commonv1.EngagementKind, string> = new Map([
  [EngagementKind.ENGAGEMENT_KIND_LIKE, 'liked your post'],
  [EngagementKind.ENGAGEMENT_KIND_REBLOG, 'reblogged your post'],
  [EngagementKind.ENGAGEMENT_KIND_REPLY, 'replied to your post'],
  [EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED, 'followed your blog'],
]);

/**
 * Words a candidate: "alice liked your post", "3 people liked your post" with the body
 * "alice, bob and carol". Actors are named by their blog (their earliest), or by user id when
 * they have none.
 */
export class NotificationRenderer {
  constructor(private readonly directory: DirectoryStore) {}

  async render(candidate: NotificationCandidate, nowMs: number): Promise<NotificationDraft> {
    const { subject } = candidate;
    const named = candidate.actorIds.slice(0, NAMED_ACTORS);
    const names = await this.directory.userNames(named);
    const nameOf = (userId: string): string => names.get(userId) ?? userId;
    return {
      type: subject.type,
      activityKind: subject.activityKind,
      title: activityTitle(subject.activityKind, candidate.actorCount, nameOf(named[0] ?? '')),
      body: activityBody(candidate, named.map(nameOf)),
      postIds: subject.postId === '' ? [] : [subject.postId],
      actorIds: [...candidate.actorIds],
      count: candidate.count,
      createdAtMs: nowMs,
    };
  }
}

export function activityTitle(
  kind: commonv1.EngagementKind,
  actorCount: number,
  firstActorName: string,
): string {
  const verb = VERBS.get(kind) ?? 'interacted with your post';
  if (actorCount <= 1) return `${firstActorName} ${verb}`;
  return `${actorCount.toLocaleString('en-US')} people ${verb}`;
}

function activityBody(candidate: NotificationCandidate, names: readonly string[]): string {
  if (candidate.actorCount <= 1) return candidate.count > 1 ? `${candidate.count} times` : '';
  const others = candidate.actorCount - names.length;
  if (others > 0) {
    const counted = `${others.toLocaleString('en-US')} ${others === 1 ? 'other' : 'others'}`;
    return `${names.join(', ')} and ${counted}`;
  }
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}
