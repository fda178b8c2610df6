import { commonv1 } from '@feedmesh/contracts';
import type { SignalOf } from './feature-registry.js';
import type { EntityChange } from './state-layout.js';

/**
 * What each kind of engagement means for the counters and affinities. The registry declares
 * which signals features read; these rules decide which events raise them and by how much.
 */
export interface EngagementRule {
  /** Raised on the post and on the user who engaged. */
  readonly signals: readonly (
    'like' | 'reblog' | 'reply' | 'share' | 'click' | 'hide' | 'report'
  )[];
  /** Likes, reblogs, replies and shares also raise `engagement`; clicks and hides do not. */
  readonly positive: boolean;
  /** Weight toward the user's affinity with the post's blog and tags; negative pushes away. */
  readonly affinity: number;
  /** Which of the user's sets remembers the post. */
  readonly set: 'engaged' | 'hidden';
}

const Kind = commonv1.EngagementKind;

export const ENGAGEMENT_RULES: ReadonlyMap<number, EngagementRule> = new Map([
  [Kind.ENGAGEMENT_KIND_LIKE, { signals: ['like'], positive: true, affinity: 1, set: 'engaged' }],
  [
    Kind.ENGAGEMENT_KIND_REBLOG,
    { signals: ['reblog'], positive: true, affinity: 3, set: 'engaged' },
  ],
  [Kind.ENGAGEMENT_KIND_REPLY, { signals: ['reply'], positive: true, affinity: 2, set: 'engaged' }],
  [Kind.ENGAGEMENT_KIND_SHARE, { signals: ['share'], positive: true, affinity: 2, set: 'engaged' }],
  [
    Kind.ENGAGEMENT_KIND_CLICK,
    { signals: ['click'], positive: false, affinity: 0.5, set: 'engaged' },
  ],
  // "Show less": the post never comes back and its creator and tags are pushed away.
  [Kind.ENGAGEMENT_KIND_HIDE, { signals: ['hide'], positive: false, affinity: -4, set: 'hidden' }],
  // A report is a hide and more.
  [
    Kind.ENGAGEMENT_KIND_REPORT,
    { signals: ['report', 'hide'], positive: false, affinity: -8, set: 'hidden' },
  ],
] satisfies [number, EngagementRule][]);

type Counters<E extends 'user' | 'post' | 'blog' | 'user_blog' | 'user_tag'> = {
  signal: SignalOf<E>;
  weight: number;
}[];

/** The changes one engagement makes, per entity. */
export interface EngagementChanges {
  readonly post: EntityChange<'post'>;
  readonly user: EntityChange<'user'>;
  /** Of the post's blog: what its posts received. */
  readonly blog: EntityChange<'blog'>;
  readonly userBlog: EntityChange<'user_blog'>;
  /** For each tag of the post. */
  readonly userTag: EntityChange<'user_tag'>;
}

export function engagementChanges(rule: EngagementRule, atMs: number): EngagementChanges {
  const hides = rule.signals.includes('hide');
  const own: Counters<'post'> = rule.signals.map((signal) => ({ signal, weight: 1 }));
  if (rule.positive) own.push({ signal: 'engagement', weight: 1 });
  const received: { signal: 'engagement' | 'hide'; weight: number }[] = [];
  if (rule.positive) received.push({ signal: 'engagement', weight: 1 });
  if (hides) received.push({ signal: 'hide', weight: 1 });
  return {
    post: { counters: own },
    user: activity(atMs, own),
    blog: { counters: received },
    userBlog: { counters: [...received, { signal: 'affinity', weight: rule.affinity }] },
    userTag: { counters: [{ signal: 'affinity', weight: rule.affinity }] },
  };
}

/** Every event of a user marks them active (and known) at its time. */
export function activity(
  atMs: number,
  counters: Counters<'user'> = [],
  attributes: NonNullable<EntityChange<'user'>['attributes']> = [],
): EntityChange<'user'> {
  return { counters, attributes: [{ attribute: 'last_active_at', value: atMs }, ...attributes] };
}

export function postCreatedChange(
  atMs: number,
  post: { readonly text: string; readonly tags: readonly string[]; readonly reblogOf: string },
): EntityChange<'post'> {
  return {
    attributes: [
      { attribute: 'created_at', value: atMs },
      { attribute: 'tag_count', value: post.tags.length },
      { attribute: 'text_length', value: post.text.length },
      { attribute: 'is_reblog', value: post.reblogOf === '' ? 0 : 1 },
    ],
  };
}
