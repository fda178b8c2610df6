import { commonv1 } from '@feedmesh/contracts';

const Kind = commonv1.EngagementKind;

/** What one engagement of a kind is worth to each index. */
export interface EngagementWeight {
  /** Weight in the post's popularity (global and per tag). */
  readonly popularity: number;
  /** Weight in the user's affinity to the post's tags. */
  readonly affinity: number;
  /** A deliberate positive act: feeds co-engagement and trending. */
  readonly positive: boolean;
}

/**
 * A reblog puts the post on the user's own blog, so it says more than a like; a click says
 * little. HIDE and REPORT are negative and add nothing here: the gateway filters what a user
 * hid, and feature-store turns them into demotions.
 */
const WEIGHTS: Partial<Record<commonv1.EngagementKind, EngagementWeight>> = {
  [Kind.ENGAGEMENT_KIND_LIKE]: { popularity: 1, affinity: 1, positive: true },
  [Kind.ENGAGEMENT_KIND_REBLOG]: { popularity: 3, affinity: 3, positive: true },
  [Kind.ENGAGEMENT_KIND_REPLY]: { popularity: 2, affinity: 2, positive: true },
  [Kind.ENGAGEMENT_KIND_SHARE]: { popularity: 2, affinity: 2, positive: true },
  [Kind.ENGAGEMENT_KIND_CLICK]: { popularity: 0.2, affinity: 0.2, positive: false },
};

export function engagementWeight(kind: commonv1.EngagementKind): EngagementWeight | undefined {
  return WEIGHTS[kind];
}
