import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { seededRandom } from '@feedmesh/models';
import type { FeatureRows, FeatureSource } from './feature-source.js';

export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface WorldOptions {
  readonly seed?: number;
  readonly users?: number;
  readonly posts?: number;
  readonly days?: number;
  /** Log an Impression for every post a user is shown (else only engagements are logged). */
  readonly impressions?: boolean;
  /**
   * Log the served features with each impression under this schema, in WorldFeatureSource's
   * layout (user.likes_total, then the four post columns), as the gateway does.
   */
  readonly featureSchema?: string;
}

export interface World {
  readonly events: eventsv1.Event[];
  /** The hidden truth: how good each post is, and each user's favourite tag. */
  readonly quality: ReadonlyMap<string, number>;
  readonly favourite: ReadonlyMap<string, string>;
  readonly endMs: number;
}

/**
 * A small site where people like posts for reasons a model can learn: good posts (longer
 * text here) and posts in the user's favourite tag get liked more. Users are shown a few
 * existing posts a day; likes, some reblogs and a few hides follow within hours.
 */
export function syntheticWorld(options: WorldOptions = {}): World {
  const random = seededRandom(options.seed ?? 7);
  const userCount = options.users ?? 60;
  const postCount = options.posts ?? 240;
  const days = options.days ?? 14;
  const tags = ['art', 'cats', 'code', 'food'];
  const events: eventsv1.Event[] = [];
  let sequence = 0;
  const add = (atMs: number, payload: eventsv1.Event['payload']) =>
    events.push({ eventId: `e${sequence++}`, atMs: Math.round(atMs), payload });

  for (let b = 0; b < 8; b += 1) {
    add(T0, {
      $case: 'blogCreated',
      value: { blogId: `b${b}`, ownerUserId: `owner${b}`, name: `blog${b}`, title: '' },
    });
  }
  const quality = new Map<string, number>();
  const tagOf = new Map<string, string>();
  const created: { postId: string; blogId: string; atMs: number }[] = [];
  for (let i = 0; i < postCount; i += 1) {
    const postId = `p${i}`;
    const q = random.next();
    const tag = tags[random.int(0, tags.length - 1)] as string;
    const atMs = T0 + (i / postCount) * (days - 2) * DAY;
    quality.set(postId, q);
    tagOf.set(postId, tag);
    created.push({ postId, blogId: `b${i % 8}`, atMs });
    add(atMs, {
      $case: 'postCreated',
      value: {
        postId,
        blogId: `b${i % 8}`,
        text: 'x'.repeat(20 + Math.floor(q * 400)),
        tags: [tag],
        mediaKind: commonv1.MediaKind.MEDIA_KIND_TEXT,
        reblogOf: '',
      },
    });
  }

  const favourite = new Map<string, string>();
  for (let u = 0; u < userCount; u += 1) {
    const userId = `u${u}`;
    favourite.set(userId, tags[random.int(0, tags.length - 1)] as string);
  }
  const engage = (userId: string, postId: string, kind: commonv1.EngagementKind, atMs: number) =>
    add(atMs, { $case: 'engagement', value: { userId, postId, kind } });

  for (let day = 1; day < days; day += 1) {
    for (let u = 0; u < userCount; u += 1) {
      const userId = `u${u}`;
      const sessionAt = T0 + day * DAY + random.next() * 12 * HOUR;
      const existing = created.filter((p) => p.atMs <= sessionAt);
      if (existing.length === 0) continue;
      for (let shown = 0; shown < 6; shown += 1) {
        const post = existing[random.int(0, existing.length - 1)]!;
        const shownAt = sessionAt + shown * 1_000;
        if (options.impressions) {
          add(shownAt, {
            $case: 'impression',
            value: {
              userId,
              postId: post.postId,
              requestId: `r${day}-${u}`,
              position: shown,
              surface: commonv1.Surface.SURFACE_DASHBOARD,
              experiments: [],
              source: 'popular',
              model: '',
              score: 0,
              featureSchema: options.featureSchema ?? '',
              featureValues:
                options.featureSchema === undefined
                  ? []
                  : [
                      0,
                      0,
                      20 + Math.floor(quality.get(post.postId)! * 400),
                      0.25,
                      noise(post.postId),
                    ],
              featureMissing: Buffer.alloc(0),
            },
          });
        }
        const match = tagOf.get(post.postId) === favourite.get(userId) ? 1 : 0;
        const q = quality.get(post.postId)!;
        const like = 1 / (1 + Math.exp(-(-4 + 4.5 * q + 3 * match)));
        const reactAt = shownAt + random.next() * 3 * HOUR;
        if (random.next() < like) {
          engage(userId, post.postId, commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE, reactAt);
          if (random.next() < 0.25) {
            engage(
              userId,
              post.postId,
              commonv1.EngagementKind.ENGAGEMENT_KIND_REBLOG,
              reactAt + 1,
            );
          }
        } else if (!match && q < 0.3 && random.next() < 0.3) {
          engage(userId, post.postId, commonv1.EngagementKind.ENGAGEMENT_KIND_HIDE, reactAt);
        }
      }
    }
  }
  events.sort((a, b) => a.atMs - b.atMs);
  return { events, quality, favourite, endMs: T0 + days * DAY };
}

/**
 * Features computed from the same events, the way a feature store would, leaving out the
 * (user, post) pair being asked about so the label does not leak into its own features:
 * likes by others, text length, the share of the user's other likes in the post's tag, and a feature
 * that predicts nothing.
 */
export class WorldFeatureSource implements FeatureSource {
  readonly maxPostsPerCall: number;
  calls = 0;
  /** Requests answered as of a past instant (when `pointInTime` is on). */
  readonly asOf: number[] = [];
  getFeaturesAsOf?: FeatureSource['getFeaturesAsOf'];
  private readonly schema: string | undefined;
  private readonly likers = new Map<string, Set<string>>();
  private readonly textLength = new Map<string, number>();
  private readonly tagOf = new Map<string, string>();
  private readonly likedByUser = new Map<string, Set<string>>();

  constructor(
    events: readonly eventsv1.Event[],
    options: { maxPostsPerCall?: number; schema?: string; pointInTime?: boolean } = {},
  ) {
    this.maxPostsPerCall = options.maxPostsPerCall ?? 5_000;
    this.schema = options.schema;
    if (options.pointInTime) {
      // Answered from the same (whole-log) features: the test looks at what is asked.
      this.getFeaturesAsOf = async (requests) =>
        Promise.all(
          requests.map(({ userId, postIds, atMs }) => {
            this.asOf.push(atMs);
            return this.getFeatures(userId, postIds);
          }),
        );
    }
    for (const event of events) {
      const payload = event.payload;
      if (payload?.$case === 'postCreated') {
        this.textLength.set(payload.value.postId, payload.value.text.length);
        this.tagOf.set(payload.value.postId, payload.value.tags[0] ?? '');
      } else if (
        payload?.$case === 'engagement' &&
        payload.value.kind === commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE
      ) {
        const { userId, postId } = payload.value;
        setOf(this.likers, postId).add(userId);
        setOf(this.likedByUser, userId).add(postId);
      }
    }
  }

  async getFeatures(userId: string, postIds: readonly string[]): Promise<FeatureRows> {
    this.calls += 1;
    if (postIds.length > this.maxPostsPerCall) throw new Error('batch over the limit');
    const liked = this.likedByUser.get(userId) ?? new Set<string>();
    const names = ['post.likes_by_others', 'post.text_length', 'user_tag.affinity', 'post.noise'];
    const values: number[] = [];
    for (const postId of postIds) {
      const likers = this.likers.get(postId) ?? new Set<string>();
      const tag = this.tagOf.get(postId);
      // The share of the user's other likes that went to this tag, smoothed toward 1/4.
      let inTag = 0;
      let others = 0;
      for (const other of liked) {
        if (other === postId) continue;
        others += 1;
        if (this.tagOf.get(other) === tag) inTag += 1;
      }
      const affinity = (inTag + 1) / (others + 4);
      values.push(
        likers.size - (likers.has(userId) ? 1 : 0),
        this.textLength.get(postId) ?? 0,
        affinity,
        noise(postId),
      );
    }
    return {
      ...(this.schema === undefined ? {} : { schema: this.schema }),
      user: { names: ['user.likes_total'], values: [liked.size] },
      candidates: { names, rows: postIds.length, values },
    };
  }
}

function setOf(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  return set;
}

function noise(postId: string): number {
  let h = 2166136261;
  for (let i = 0; i < postId.length; i += 1) h = Math.imul(h ^ postId.charCodeAt(i), 16777619);
  return ((h >>> 0) % 1000) / 1000;
}
