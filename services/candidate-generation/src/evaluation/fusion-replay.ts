import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { candidatesv1, commonv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { mean, recallAt } from '@feedmesh/evaluation';
import { mergeCandidates, RRF_K, type SourceAnswer } from '../candidate-merger.js';
import { SOURCE_NAMES, type ProposedCandidate } from '../candidate-source.js';
import type { PostState } from '../candidate-store.js';
import { unionWeights } from './union-weights.js';

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

/** The cut-offs a replay or a tuning reports when given none. */
export const FUSION_KS: readonly number[] = [100, 500, 1_000];

/**
 * Fuses again the per-source lists an evaluation wrote, with the service's own merger, under
 * other fusion weights or another RRF constant: the union's recall in seconds instead of a
 * rerun of every Generate. With the defaults it gives the evaluation's union again, since
 * Generate fuses the same lists, in the same source order, the same way.
 */
export async function replayFusion(options: FusionReplayOptions): Promise<FusionReplayReport> {
  const ks = checkedKs(options.ks);
  const rrfK = checkedRrfK(options.rrfK);
  const weights = unionWeights(options.weights ?? {});
  const lists = await loadFusionLists(options.listsPath, ks);
  return {
    users: lists.users.length,
    ks,
    depth: lists.depth,
    rrfK,
    sources: lists.sources,
    weights: Object.fromEntries(lists.sources.map((name) => [name, weights[name]!])),
    recall: recallByK(ks, fusedRecall(lists.users, weights, rrfK, ks)),
  };
}

export interface FusionTuneOptions {
  readonly listsPath: string;
  /** Cut-offs reported; default 100, 500 and 1,000. */
  readonly ks?: readonly number[];
  /** The cut-off whose recall the search maximizes; default the largest of `ks`. */
  readonly objective?: number;
  /** The weights tried for each source; default 0, 0.1, 0.25, 0.5, 1, 1.5, 2 and 3. */
  readonly grid?: readonly number[];
  /** Passes over the sources; default 1. */
  readonly rounds?: number;
  readonly rrfK?: number;
}

export interface FusionTuneFold {
  /** Users the weights were chosen on, and users they were then measured on. */
  readonly tunedOn: number;
  readonly heldOut: number;
  readonly weights: Readonly<Record<string, number>>;
  /** On the held-out users: the service's weights, and the tuned ones. */
  readonly recall: {
    readonly service: Readonly<Record<string, number>>;
    readonly tuned: Readonly<Record<string, number>>;
  };
}

export interface FusionTuneReport {
  readonly users: number;
  readonly ks: readonly number[];
  readonly objective: number;
  readonly grid: readonly number[];
  readonly rounds: number;
  readonly rrfK: number;
  /** The service's weights of the sources the search moved. */
  readonly serviceWeights: Readonly<Record<string, number>>;
  /** Two folds: the users in file order, alternately; each tuned on the other. */
  readonly folds: readonly FusionTuneFold[];
  /** Recall on held-out users, averaged over the folds: what tuning would buy. */
  readonly recall: {
    readonly service: Readonly<Record<string, number>>;
    readonly tuned: Readonly<Record<string, number>>;
  };
}

const DEFAULT_GRID = [0, 0.1, 0.25, 0.5, 1, 1.5, 2, 3] as const;

/**
 * Searches the fusion weights, one source at a time (coordinate ascent over `grid`, from the
 * service's weights), for the best recall at `objective` on half the users, and measures them
 * on the other half, both ways: how much retuning would buy, free of the optimism of choosing
 * and measuring on the same users. Only sources that proposed something are searched.
 */
export async function tuneFusion(options: FusionTuneOptions): Promise<FusionTuneReport> {
  const ks = checkedKs(options.ks);
  const objective = options.objective ?? Math.max(...ks);
  if (!ks.includes(objective)) {
    throw new InvalidArgumentError('objective', `must be one of the ks (${ks.join(', ')})`);
  }
  const grid = [...(options.grid ?? DEFAULT_GRID)];
  if (grid.length === 0 || grid.some((w) => !Number.isFinite(w) || w < 0)) {
    throw new InvalidArgumentError('grid', `must be numbers ≥ 0, not ${grid.join(', ')}`);
  }
  const rounds = options.rounds ?? 1;
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
    throw new InvalidArgumentError('rounds', `must be an integer from 1 to 10, not ${rounds}`);
  }
  const rrfK = checkedRrfK(options.rrfK);
  const lists = await loadFusionLists(options.listsPath, ks);
  if (lists.users.length < 2) {
    throw new InvalidArgumentError('lists', 'tuning needs two users or more, one a fold');
  }
  const service = unionWeights({});
  const searched = lists.sources.filter((name) =>
    lists.users.some((user) =>
      user.answers.some((a) => a.source === name && a.candidates.length > 0),
    ),
  );
  const halves = [0, 1].map((fold) => lists.users.filter((_, i) => i % 2 === fold));
  // Each fold's recall unrounded, so that the average is rounded once.
  const unrounded: { service: number[]; tuned: number[] }[] = [];
  const folds = [0, 1].map((fold): FusionTuneFold => {
    const tuneOn = halves[1 - fold]!;
    const measureOn = halves[fold]!;
    const weights = { ...service };
    let best = fusedRecall(tuneOn, weights, rrfK, [objective])[0]!;
    for (let round = 0; round < rounds; round++) {
      for (const source of searched) {
        for (const weight of grid) {
          if (weight === weights[source]) continue;
          const recall = fusedRecall(tuneOn, { ...weights, [source]: weight }, rrfK, [
            objective,
          ])[0]!;
          if (recall > best) {
            best = recall;
            weights[source] = weight;
          }
        }
      }
    }
    const recall = {
      service: fusedRecall(measureOn, service, rrfK, ks),
      tuned: fusedRecall(measureOn, weights, rrfK, ks),
    };
    unrounded.push(recall);
    return {
      tunedOn: tuneOn.length,
      heldOut: measureOn.length,
      weights: Object.fromEntries(searched.map((name) => [name, weights[name]!])),
      recall: { service: recallByK(ks, recall.service), tuned: recallByK(ks, recall.tuned) },
    };
  });
  const averaged = (pick: (fold: { service: number[]; tuned: number[] }) => number[]) =>
    recallByK(
      ks,
      ks.map((_, i) => mean(unrounded.map((fold) => pick(fold)[i]!))),
    );
  return {
    users: lists.users.length,
    ks,
    objective,
    grid,
    rounds,
    rrfK,
    serviceWeights: Object.fromEntries(searched.map((name) => [name, service[name]!])),
    folds,
    recall: {
      service: averaged((fold) => fold.service),
      tuned: averaged((fold) => fold.tuned),
    },
  };
}

/** A user's lists as the merger takes them, built once however often they are fused. */
interface FusionUser {
  readonly relevant: ReadonlySet<string>;
  readonly answers: readonly {
    readonly source: string;
    readonly candidates: ProposedCandidate[];
  }[];
}

interface FusionLists {
  readonly users: readonly FusionUser[];
  /** The longest list of any source. */
  readonly depth: number;
  /** The sources the file holds lists of, in the order Generate merges them. */
  readonly sources: readonly string[];
}

async function loadFusionLists(path: string, ks: readonly number[]): Promise<FusionLists> {
  const lines = await readListsFile(path);
  let depth = 0;
  for (const line of lines) {
    for (const list of Object.values(line.lists)) depth = Math.max(depth, list.length);
  }
  const maxK = Math.max(...ks);
  if (maxK > depth) {
    throw new InvalidArgumentError(
      'ks',
      `${maxK} is deeper than the lists in ${path} (at most ${depth} a source): ` +
        'write them with a larger K',
    );
  }
  const users = lines.map((line): FusionUser => ({
    relevant: new Set(line.relevant),
    // The order Generate merges in (ties go to the source listed first).
    answers: SOURCE_NAMES.filter((name) => name in line.lists).map((name) => ({
      source: name,
      candidates: line.lists[name]!.map(proposal),
    })),
  }));
  const sources = SOURCE_NAMES.filter((name) => lines.some((line) => name in line.lists));
  return { users, depth, sources };
}

/** Mean recall at each K over `users` of their lists fused with `weights`. */
function fusedRecall(
  users: readonly FusionUser[],
  weights: Readonly<Record<string, number>>,
  rrfK: number,
  ks: readonly number[],
): number[] {
  const maxK = Math.max(...ks);
  const sums = ks.map(() => 0);
  for (const user of users) {
    const answers: SourceAnswer[] = user.answers.map((answer) => ({
      ...answer,
      weight: weights[answer.source]!,
    }));
    const fused = mergeCandidates(
      answers,
      maxK,
      candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING,
      rrfK,
    ).map((candidate) => candidate.postId);
    ks.forEach((k, i) => (sums[i]! += recallAt(fused, user.relevant, k)));
  }
  return sums.map((sum) => (users.length === 0 ? 0 : sum / users.length));
}

function recallByK(ks: readonly number[], recalls: readonly number[]): Record<string, number> {
  return Object.fromEntries(ks.map((k, i) => [`@${k}`, round4(recalls[i]!)]));
}

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;

function checkedKs(ks: readonly number[] | undefined): number[] {
  const checked = [...(ks ?? FUSION_KS)];
  if (checked.length === 0 || checked.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new InvalidArgumentError('ks', `must be positive integers, not ${checked.join(', ')}`);
  }
  return checked;
}

function checkedRrfK(rrfK: number | undefined): number {
  const checked = rrfK ?? RRF_K;
  if (!Number.isFinite(checked) || checked < 0) {
    throw new InvalidArgumentError('rrf_k', `must be a number ≥ 0, not ${checked}`);
  }
  return checked;
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
