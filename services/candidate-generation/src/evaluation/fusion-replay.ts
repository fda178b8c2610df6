import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { candidatesv1, commonv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { mean, recallAt } from '@feedmesh/evaluation';
import { mergeCandidates, RRF_K, type SourceAnswer } from '../candidate-merger.js';
import { SOURCE_NAMES, type ProposedCandidate } from '../candidate-source.js';
import type { PostState } from '../candidate-store.js';
import { DEFAULT_SOURCE_BUDGETS } from '../source-budgets.js';

export interface FusionReplayOptions {
  /** The per-source lists an evaluation wrote (`runCandidateEval`'s `listsPath`). */
  readonly listsPath: string;
  /** Fusion weights by source; sources not named keep the SURFACE_FOR_YOU defaults. */
  readonly weights?: Readonly<Record<string, number>>;
  /** The reciprocal-rank-fusion constant; default the service's (RRF_K, 60). */
  readonly rrfK?: number;
  /** Cut-offs, each at most the lists' depth; default 100, 500 and 1,000. */
  readonly ks?: readonly number[];
}

export interface FusionReplayReport {
  readonly users: number;
  readonly ks: readonly number[];
  /** The longest list of any source in the file: no K may exceed it. */
  readonly depth: number;
  readonly rrfK: number;
  /** The sources whose lists the file holds, fused in this order. */
  readonly sources: readonly string[];
  /** The weight each source was fused with (the defaults, overridden by `weights`). */
  readonly weights: Readonly<Record<string, number>>;
  /** Mean over users of hits in the fused list's top K / the user's test items. */
  readonly recall: Readonly<Record<string, number>>;
}

/** One line of a lists file, as `runCandidateEval` writes it. */
interface ListsLine {
  readonly userId: string;
  readonly lists: Readonly<Record<string, readonly string[]>>;
  readonly relevant: readonly string[];
}

const DEFAULT_KS = [100, 500, 1_000] as const;

/**
 * Fuses again the per-source lists an evaluation wrote, with the service's own merger, under
 * other fusion weights or another RRF constant: the union's recall in seconds instead of a
 * rerun of every Generate. With the defaults it gives the evaluation's union again, since
 * Generate fuses the same lists, in the same source order, the same way.
 */
export async function replayFusion(options: FusionReplayOptions): Promise<FusionReplayReport> {
  const ks = [...(options.ks ?? DEFAULT_KS)];
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new InvalidArgumentError('ks', `must be positive integers, not ${ks.join(', ')}`);
  }
  const rrfK = options.rrfK ?? RRF_K;
  if (!Number.isFinite(rrfK) || rrfK < 0) {
    throw new InvalidArgumentError('rrf_k', `must be a number ≥ 0, not ${rrfK}`);
  }
  const weights = fusionWeights(options.weights ?? {});
  const maxK = Math.max(...ks);
  const users = await readListsFile(options.listsPath);
  let depth = 0;
  for (const user of users) {
    for (const list of Object.values(user.lists)) depth = Math.max(depth, list.length);
  }
  if (maxK > depth) {
    throw new InvalidArgumentError(
      'ks',
      `${maxK} is deeper than the lists in ${options.listsPath} (at most ${depth} a source): ` +
        'write them with a larger K',
    );
  }
  const sources = SOURCE_NAMES.filter((name) => users.some((user) => name in user.lists));
  const recalls = ks.map(() => [] as number[]);
  for (const user of users) {
    // The order Generate merges in (ties go to the source listed first).
    const answers: SourceAnswer[] = SOURCE_NAMES.filter((name) => name in user.lists).map(
      (name) => ({
        source: name,
        candidates: user.lists[name]!.map(proposal),
        weight: weights[name]!,
      }),
    );
    const fused = mergeCandidates(
      answers,
      maxK,
      candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING,
      rrfK,
    ).map((candidate) => candidate.postId);
    const relevant = new Set(user.relevant);
    ks.forEach((k, i) => recalls[i]!.push(recallAt(fused, relevant, k)));
  }
  const round = (v: number) => Math.round(v * 10_000) / 10_000;
  return {
    users: users.length,
    ks,
    depth,
    rrfK,
    sources,
    weights: Object.fromEntries(sources.map((name) => [name, weights[name]!])),
    recall: Object.fromEntries(ks.map((k, i) => [`@${k}`, round(mean(recalls[i]!))])),
  };
}

/**
 * `session=1.5,tags=0.1` as weights by source. Every name must be a source's and every weight
 * a number ≥ 0; at 0 a source's posts count for nothing and only fill places after the rest.
 */
export function parseSourceWeights(text: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const pair of text.split(',')) {
    const [name = '', value, ...rest] = pair.split('=').map((part) => part.trim());
    if (value === undefined || value === '' || rest.length > 0) {
      throw new InvalidArgumentError('weights', `expected source=weight, not "${pair}"`);
    }
    weights[name] = Number(value);
  }
  fusionWeights(weights);
  return weights;
}

/** The SURFACE_FOR_YOU weights of every source, overridden by `overrides` (checked). */
function fusionWeights(overrides: Readonly<Record<string, number>>): Record<string, number> {
  const defaults = DEFAULT_SOURCE_BUDGETS[commonv1.Surface.SURFACE_FOR_YOU] ?? {};
  for (const [name, weight] of Object.entries(overrides)) {
    if (!(SOURCE_NAMES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(
        `weights.${name}`,
        `not a source; the sources are ${SOURCE_NAMES.join(', ')}`,
      );
    }
    if (!Number.isFinite(weight) || weight < 0) {
      throw new InvalidArgumentError(`weights.${name}`, `must be a number ≥ 0, not ${weight}`);
    }
  }
  return Object.fromEntries(
    SOURCE_NAMES.map((name) => [name, overrides[name] ?? defaults[name]?.weight ?? 1]),
  );
}

/** A list entry as the merger takes it: only the post id matters to the fusion. */
function proposal(postId: string): ProposedCandidate {
  const post: PostState = {
    postId,
    blogId: '',
    createdAtMs: 0,
    reblogOf: '',
    tags: [],
    popularity: undefined,
    engagements: 0,
  };
  return { post, score: 0, reason: '' };
}

async function readListsFile(path: string): Promise<ListsLine[]> {
  const users: ListsLine[] = [];
  const stream = createReadStream(path, 'utf8');
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InvalidArgumentError('lists', `cannot read ${path} (${code})`);
  }
  let n = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    n += 1;
    if (line.trim() === '') continue;
    users.push(parseListsLine(line, `lists line ${n}`));
  }
  if (users.length === 0) throw new InvalidArgumentError('lists', `${path} holds no user`);
  return users;
}

function parseListsLine(line: string, where: string): ListsLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new InvalidArgumentError(where, 'is not JSON');
  }
  const record = value as Partial<Record<keyof ListsLine, unknown>>;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(where, 'must be an object { userId, lists, relevant }');
  }
  if (typeof record.userId !== 'string' || record.userId === '') {
    throw new InvalidArgumentError(`${where}.userId`, 'must be a non-empty string');
  }
  if (!isStrings(record.relevant) || record.relevant.length === 0) {
    throw new InvalidArgumentError(`${where}.relevant`, 'must be a non-empty array of post ids');
  }
  const lists = record.lists;
  if (typeof lists !== 'object' || lists === null || Array.isArray(lists)) {
    throw new InvalidArgumentError(`${where}.lists`, 'must be an object of lists by source');
  }
  for (const [name, list] of Object.entries(lists)) {
    if (!(SOURCE_NAMES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`${where}.lists.${name}`, 'is not a source');
    }
    if (!isStrings(list)) {
      throw new InvalidArgumentError(`${where}.lists.${name}`, 'must be an array of post ids');
    }
  }
  return {
    userId: record.userId,
    lists: lists as Record<string, string[]>,
    relevant: record.relevant,
  };
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
