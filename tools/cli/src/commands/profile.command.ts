import type { Command } from '@commander-js/extra-typings';
import { featuresv1 } from '@feedmesh/contracts';
import { fetchEntityFeatures, type EntityFeatures } from '@feedmesh/feature-store';
import { write, type CliIo } from '../cli-io.js';
import { withServiceClient } from '../gateway-client.js';
import { address, id, integerIn } from '../option-parsers.js';

/** `feedmesh profile`: what Feedmesh believes a user is interested in, by name and weight. */
export function registerProfileCommand(program: Command, io: CliIo): void {
  program
    .command('profile')
    .description("a user's interest profile: the tags and blogs they engage with, by weight")
    .requiredOption('--user <id>', 'the user', id)
    .option('--top <n>', 'tags and blogs to show (each)', integerIn(1, 500), 20)
    .option(
      '--addr <host:port>',
      'the feature store (the playground prints its address)',
      address,
      '127.0.0.1:50053',
    )
    .option('--json', 'print the profile as JSON')
    .action(async (options) => {
      const features = await withServiceClient(
        featuresv1.FeatureStoreServiceDefinition,
        options.addr,
        'feature store',
        (client) =>
          fetchEntityFeatures(client, { userId: options.user, listSize: PROFILE_LIST_SIZE }),
      );
      const profile = profileOf(features, options.top);
      await write(
        io.stdout,
        options.json ? `${JSON.stringify(profile, null, 2)}\n` : formatProfile(profile),
      );
    });
}

/**
 * Interests to fetch: the store's most (GetUserFeatures' max_list_size), not --top. The store
 * ranks tags and blogs in one list, so --top of it could hold no blogs at all; and a share
 * means something only against the whole profile, not against the few shown.
 */
const PROFILE_LIST_SIZE = 5_000;

export interface InterestProfile {
  readonly userId: string;
  readonly known: boolean;
  readonly lastSessionAtMs: number;
  /** Blogs the user follows (the `user.follows` feature, not a capped id list). */
  readonly following: number;
  /**
   * Strongest first, at most --top of each kind; share = weight / the sum of the weights of
   * all the user's interests of that kind, shown or not.
   */
  readonly tags: readonly { name: string; weight: number; share: number }[];
  readonly blogs: readonly { name: string; weight: number; share: number }[];
  /** How many interests of each kind the user has, of which `tags` and `blogs` are the top. */
  readonly tagCount: number;
  readonly blogCount: number;
}

export function profileOf(features: EntityFeatures, top: number): InterestProfile {
  const all = (kind: 'tag' | 'blog') =>
    features.user.interests.filter((interest) => interest.kind === kind);
  const ofKind = (kind: 'tag' | 'blog') => {
    const sorted = all(kind).sort((a, b) => b.weight - a.weight);
    const total = sorted.reduce((sum, interest) => sum + Math.max(0, interest.weight), 0) || 1;
    return sorted
      .slice(0, top)
      .map(({ name, weight }) => ({ name, weight, share: Math.max(0, weight) / total }));
  };
  const follows = features.user.features.find((feature) => feature.name === 'user.follows');
  return {
    userId: features.user.userId,
    known: features.user.known,
    lastSessionAtMs: features.user.lastSessionAtMs,
    following:
      follows === undefined || follows.missing
        ? (features.user.sets['following'] ?? 0)
        : Math.round(follows.value),
    tags: ofKind('tag'),
    blogs: ofKind('blog'),
    tagCount: all('tag').length,
    blogCount: all('blog').length,
  };
}

function formatProfile(profile: InterestProfile): string {
  const lines = [
    `user ${profile.userId}${profile.known ? '' : ' (never seen: no profile yet)'}` +
      (profile.lastSessionAtMs > 0
        ? `, last session ${new Date(profile.lastSessionAtMs).toISOString()}`
        : '') +
      `, follows ${profile.following} ${profile.following === 1 ? 'blog' : 'blogs'}`,
  ];
  const section = (kind: 'tag' | 'blog', list: InterestProfile['tags'], count: number) => {
    if (list.length === 0) return;
    const mark = kind === 'tag' ? '#' : '';
    const kinds = count === 1 ? kind : `${kind}s`;
    lines.push(
      `interests by ${kind} (top ${list.length} of ${count} ${kinds}; share of all ${kind} interest):`,
    );
    const width = Math.max(...list.map((i) => i.name.length + mark.length));
    for (const { name, weight, share } of list) {
      const bar = '█'.repeat(Math.max(1, Math.round(share * 40)));
      lines.push(
        `  ${`${mark}${name}`.padEnd(width)}  ${(share * 100).toFixed(1).padStart(5)}%  ${bar}  (${weight.toFixed(3)})`,
      );
    }
  };
  section('tag', profile.tags, profile.tagCount);
  section('blog', profile.blogs, profile.blogCount);
  if (profile.tags.length === 0 && profile.blogs.length === 0) lines.push('no interests yet');
  return `${lines.join('\n')}\n`;
}
