import { featuresv1, isMissing } from '@feedmesh/contracts';
import { createServiceClient, type ServiceClient } from '@feedmesh/service-kit';
import { FEATURES, type FeatureDeclaration } from './feature-registry.js';

/** One feature of an entity, by name, with what the registry says of it. */
export interface NamedFeature {
  readonly name: string;
  readonly value: number;
  /** True when the value is the feature's default because the store did not know it. */
  readonly missing: boolean;
  readonly type: FeatureDeclaration['type'] | 'unknown';
  readonly description: string;
}

/** What `feedmesh features` shows: a user's features, and a post's for that user. */
export interface EntityFeatures {
  /** The registry version the store served (`fs-...`). */
  readonly schema: string;
  readonly user: {
    readonly userId: string;
    readonly known: boolean;
    /** Ms since the epoch; 0 when never seen. */
    readonly lastSessionAtMs: number;
    readonly features: readonly NamedFeature[];
    readonly interests: readonly { kind: 'tag' | 'blog'; name: string; weight: number }[];
    /** How many ids each of the user's sets holds (up to the list size asked for). */
    readonly sets: Readonly<Record<string, number>>;
  };
  /** The candidate row of `postId` for the user: post, blog, user x blog, user x tag. */
  readonly post?: { readonly postId: string; readonly features: readonly NamedFeature[] };
}

export interface EntityFeaturesRequest {
  readonly userId: string;
  readonly postId?: string;
  /** Interests and ids per set to fetch. Default 20. */
  readonly listSize?: number;
}

type FeatureStoreClient = ServiceClient<typeof featuresv1.FeatureStoreServiceDefinition>;

/**
 * Fetches an entity's features from a running feature store (GetUserFeatures, and GetFeatures
 * for the post) and names each value with the registry's description.
 */
export async function fetchEntityFeatures(
  target: string | FeatureStoreClient,
  request: EntityFeaturesRequest,
  options: { deadlineMs?: number } = {},
): Promise<EntityFeatures> {
  const handle =
    typeof target === 'string'
      ? createServiceClient(featuresv1.FeatureStoreServiceDefinition, target, {
          deadlineMs: options.deadlineMs ?? 5_000,
        })
      : undefined;
  const client = handle?.client ?? (target as FeatureStoreClient);
  try {
    const listSize = request.listSize ?? 20;
    const [user, row] = await Promise.all([
      client.getUserFeatures({ userId: request.userId, maxListSize: listSize }),
      request.postId === undefined
        ? undefined
        : client.getFeatures({ userId: request.userId, postIds: [request.postId] }),
    ]);
    const vector = user.features ?? { names: [], values: [], missing: new Uint8Array(0) };
    return {
      schema: user.schema,
      user: {
        userId: request.userId,
        known: user.known,
        lastSessionAtMs: user.lastSessionAtMs,
        features: named(vector.names, vector.values, vector.missing, 0),
        interests: user.interests.map(({ kind, name, weight }) => ({
          kind: kind === featuresv1.InterestKind.INTEREST_KIND_BLOG ? 'blog' : 'tag',
          name,
          weight,
        })),
        sets: {
          served: user.servedPostIds.length,
          engaged: user.engagedPostIds.length,
          hidden: user.hiddenPostIds.length,
          following: user.followedBlogIds.length,
          blocked: user.blockedBlogIds.length,
          own_blogs: user.ownBlogIds.length,
        },
      },
      ...(row?.candidates === undefined || request.postId === undefined
        ? {}
        : {
            post: {
              postId: request.postId,
              features: named(
                row.candidates.names,
                row.candidates.values,
                row.candidates.missing,
                0,
              ),
            },
          }),
    };
  } finally {
    handle?.close();
  }
}

/** A plain-text table: one feature per line, name, value, and "(default)" when missing. */
export function formatEntityFeatures(features: EntityFeatures): string {
  const lines: string[] = [];
  const { user, post } = features;
  const width = Math.max(
    ...[...user.features, ...(post?.features ?? [])].map((feature) => feature.name.length),
    8,
  );
  const row = (feature: NamedFeature) =>
    `  ${feature.name.padEnd(width)}  ${formatValue(feature).padStart(12)}${feature.missing ? '  (default)' : ''}`;
  lines.push(
    `user ${user.userId}${user.known ? '' : ' (unknown: defaults)'}, schema ${features.schema}`,
  );
  if (user.lastSessionAtMs > 0) {
    lines.push(`  last session ${new Date(user.lastSessionAtMs).toISOString()}`);
  }
  lines.push(...user.features.map(row));
  const sets = Object.entries(user.sets)
    .map(([set, count]) => `${set} ${count}`)
    .join(', ');
  lines.push(`  sets: ${sets}`);
  if (user.interests.length > 0) {
    lines.push('  interests:');
    for (const { kind, name, weight } of user.interests) {
      lines.push(`    ${kind === 'tag' ? '#' : ''}${name}  ${weight.toFixed(3)}`);
    }
  }
  if (post !== undefined) {
    lines.push(`post ${post.postId}, for user ${user.userId}`);
    lines.push(...post.features.map(row));
  }
  return `${lines.join('\n')}\n`;
}

const DECLARED: ReadonlyMap<string, FeatureDeclaration> = new Map(
  FEATURES.map((feature) => [feature.name, feature]),
);

function named(
  names: readonly string[],
  values: ArrayLike<number>,
  missing: Uint8Array,
  offset: number,
): NamedFeature[] {
  return names.map((name, i) => {
    const declared = DECLARED.get(name);
    return {
      name,
      value: values[offset + i] ?? Number.NaN,
      missing: isMissing(missing, offset + i),
      type: declared?.type ?? 'unknown',
      description: declared?.description ?? '(not in this build of the registry)',
    };
  });
}

function formatValue(feature: NamedFeature): string {
  if (feature.type === 'integer' || feature.type === 'boolean')
    return String(Math.round(feature.value));
  return Number.isInteger(feature.value) ? String(feature.value) : feature.value.toPrecision(6);
}
