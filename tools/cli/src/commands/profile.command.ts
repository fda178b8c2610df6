import type { Command } from '@commander-js/extra-typings';
import { fetchEntityFeatures, type EntityFeatures } from '@feedmesh/feature-store';
import { write, type CliIo } from '../cli-io.js';
import { address, integerIn } from '../option-parsers.js';

/** `feedmesh profile`: what Feedmesh believes a user is interested in, by name and weight. */
export function registerProfileCommand(program: Command, io: CliIo): void {
  program
    .command('profile')
    .description("a user's interest profile: the tags and blogs they engage with, by weight")
    .requiredOption('--user <id>', 'the user')
    .option('--top <n>', 'interests to show', integerIn(1, 500), 20)
    .option(
      '--addr <host:port>',
      'the feature store (the playground prints its address)',
      address,
      '127.0.0.1:50053',
    )
    .option('--json', 'print the profile as JSON')
    .action(async (options) => {
      const features = await fetchEntityFeatures(options.addr, {
        userId: options.user,
        listSize: options.top,
      });
      const profile = profileOf(features, options.top);
      await write(
        io.stdout,
        options.json ? `${JSON.stringify(profile, null, 2)}\n` : formatProfile(profile),
      );
    });
}

export interface InterestProfile {
  readonly userId: string;
  readonly known: boolean;
  readonly lastSessionAtMs: number;
  readonly following: number;
  /** Strongest first; share = weight / the sum of the kind's weights shown. */
  readonly tags: readonly { name: string; weight: number; share: number }[];
  readonly blogs: readonly { name: string; weight: number; share: number }[];
}

export function profileOf(features: EntityFeatures, top: number): InterestProfile {
  const ofKind = (kind: 'tag' | 'blog') => {
    const list = features.user.interests
      .filter((interest) => interest.kind === kind)
      .sort((a, b) => b.weight - a.weight)
      .slice(0, top);
    const total = list.reduce((sum, interest) => sum + Math.max(0, interest.weight), 0) || 1;
    return list.map(({ name, weight }) => ({ name, weight, share: Math.max(0, weight) / total }));
  };
  return {
    userId: features.user.userId,
    known: features.user.known,
    lastSessionAtMs: features.user.lastSessionAtMs,
    following: features.user.sets['following'] ?? 0,
    tags: ofKind('tag'),
    blogs: ofKind('blog'),
  };
}

function formatProfile(profile: InterestProfile): string {
  const lines = [
    `user ${profile.userId}${profile.known ? '' : ' (never seen: no profile yet)'}` +
      (profile.lastSessionAtMs > 0
        ? `, last session ${new Date(profile.lastSessionAtMs).toISOString()}`
        : '') +
      `, follows ${profile.following} blogs`,
  ];
  const section = (title: string, list: InterestProfile['tags'], mark: string) => {
    if (list.length === 0) return;
    lines.push(title);
    const width = Math.max(...list.map((i) => i.name.length + mark.length));
    for (const { name, weight, share } of list) {
      const bar = '█'.repeat(Math.max(1, Math.round(share * 40)));
      lines.push(
        `  ${`${mark}${name}`.padEnd(width)}  ${(share * 100).toFixed(1).padStart(5)}%  ${bar}  (${weight.toFixed(3)})`,
      );
    }
  };
  section('interests by tag:', profile.tags, '#');
  section('interests by blog:', profile.blogs, '');
  if (profile.tags.length === 0 && profile.blogs.length === 0) lines.push('no interests yet');
  return `${lines.join('\n')}\n`;
}
