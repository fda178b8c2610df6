import { commonv1 } from '@feedmesh/contracts';
import type { SignalOf } from './feature-registry.js';

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

/** Signals shared by posts and users (what a user does, and what a post receives). */
type OwnSignal = SignalOf<'post'> & SignalOf<'user'>;

/** What the engaging user and the post count: the rule's signals, plus `engagement` if positive. */
export function ownSignals(rule: EngagementRule): readonly OwnSignal[] {
  return rule.positive ? [...rule.signals, 'engagement'] : rule.signals;
}

/**
 * What the post's blog, and the user's state with that blog, count of it: `engagement` when
 * positive, `hide` when it hides.
 */
export function receivedSignals(rule: EngagementRule): readonly ('engagement' | 'hide')[] {
  const received: ('engagement' | 'hide')[] = [];
  if (rule.positive) received.push('engagement');
  if (rule.signals.includes('hide')) received.push('hide');
  return received;
}
