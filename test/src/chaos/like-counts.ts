import { commonv1, featuresv1, type eventsv1 } from '@feedmesh/contracts';
import { createServiceClient } from '@feedmesh/service-kit';

/** The feature the counts are read from: likes a post received, half-life 7 days. */
const LIKES = 'post.likes_7d';
const HALF_LIFE_MS = 7 * 24 * 3_600_000;

/** Likes per post among `events`. */
export function likesPerPost(events: readonly eventsv1.Event[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) {
    const payload = event.payload;
    if (
      payload?.$case === 'engagement' &&
      payload.value.kind === commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE
    ) {
      counts.set(payload.value.postId, (counts.get(payload.value.postId) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * The likes the feature store counted for each post, undecayed: every like of the test is
 * stamped `likedAtMs`, so the decayed count read at time R is n·2^(-(R - likedAtMs)/half-life)
 * and n is recovered exactly (to float32 precision, far below one like for the counts used).
 * Not rounded: a caller compares with a tolerance of a fraction of one like.
 */
export async function countedLikes(
  featureStoreAddress: string,
  postIds: readonly string[],
  likedAtMs: number,
): Promise<Map<string, number>> {
  const { client, close } = createServiceClient(
    featuresv1.FeatureStoreServiceDefinition,
    featureStoreAddress,
    { deadlineMs: 10_000 },
  );
  try {
    const before = Date.now();
    const response = await client.getFeatures({ userId: '', postIds: [...postIds] });
    const readAt = (before + Date.now()) / 2;
    const matrix = response.candidates!;
    const column = matrix.names.indexOf(LIKES);
    if (column < 0) throw new Error(`${LIKES} is not among the features served`);
    const undecay = 2 ** ((readAt - likedAtMs) / HALF_LIFE_MS);
    return new Map(
      postIds.map((postId, row) => [
        postId,
        (matrix.values[row * matrix.names.length + column] ?? Number.NaN) * undecay,
      ]),
    );
  } finally {
    close();
  }
}
