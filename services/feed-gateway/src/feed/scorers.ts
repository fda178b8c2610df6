import type { rankerv1 } from '@feedmesh/contracts';
import { InternalError } from '@feedmesh/errors';
import type { RankerClient } from '../downstream.js';
import type { FeedCandidate } from './feed-query.js';
import type { HydratedFeatures } from './features.hydrator.js';

/** Scoring with the ranker's model: one Rank call for every candidate. */
export class RankerScorer {
  readonly name = 'ranker';

  constructor(private readonly ranker: RankerClient) {}

  /**
   * Sets each candidate's score to the model's weighed value; returns "name@version". Throws,
   * scoring nothing, when the ranker answers another number of values than candidates: which
   * value is whose is then unknown, and the impressions would log the model as used.
   */
  async score(
    candidates: FeedCandidate[],
    features: HydratedFeatures,
    options: { model: string; weights: rankerv1.ObjectiveWeight[] },
    deadlineMs: number,
    signal: AbortSignal,
  ): Promise<string> {
    const response = await this.ranker.rank(
      {
        model: options.model,
        modelVersion: '',
        user: features.user,
        candidates: features.candidates,
        weights: options.weights,
      },
      { deadline: deadlineMs, signal },
    );
    const values = valuePerCandidate(response, candidates.length);
    for (let i = 0; i < candidates.length; i++) candidates[i]!.score = values[i]!;
    return response.modelVersion ? `${response.model}@${response.modelVersion}` : response.model;
  }
}

/** The Rank response's values, one per candidate as the contract says, or an InternalError. */
export function valuePerCandidate(
  response: { readonly values: ArrayLike<number> },
  candidates: number,
): ArrayLike<number> {
  const { values } = response;
  if (values.length !== candidates) {
    throw new InternalError(
      `the ranker answered ${values.length} value(s) for ${candidates} candidates`,
    );
  }
  return values;
}

const RECENCY_HALF_LIFE_MS = 24 * 3_600_000;

/**
 * The degraded scorer, used when the ranker (or the features it needs) is unavailable:
 * a candidate's best rank within any source that proposed it, plus a recency bonus.
 * Source scores are not comparable across sources, ranks are.
 */
export class SourceScoreScorer {
  readonly name = 'source-score';

  score(candidates: FeedCandidate[], nowMs: number): void {
    const rankIn = new Map<string, Map<FeedCandidate, number>>();
    const bySource = new Map<string, { candidate: FeedCandidate; score: number }[]>();
    for (const candidate of candidates) {
      for (const source of candidate.sources) {
        const list = bySource.get(source.source) ?? [];
        list.push({ candidate, score: source.score });
        bySource.set(source.source, list);
      }
    }
    for (const [source, list] of bySource) {
      list.sort((a, b) => b.score - a.score);
      rankIn.set(source, new Map(list.map((entry, rank) => [entry.candidate, rank])));
    }
    for (const candidate of candidates) {
      const best = Math.max(
        0,
        ...candidate.sources.map(
          (s) => 1 / (1 + (rankIn.get(s.source)?.get(candidate) ?? Infinity)),
        ),
      );
      const age = Math.max(0, nowMs - candidate.createdAtMs);
      candidate.score = best + 0.5 * 2 ** (-age / RECENCY_HALF_LIFE_MS);
    }
  }
}
