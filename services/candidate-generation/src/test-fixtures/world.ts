import type { eventsv1 } from '@feedmesh/contracts';
import { commonv1, type candidatesv1 } from '@feedmesh/contracts';
import type { Logger } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { assembleCandidatePipeline, type CandidatePipeline } from '../candidate-pipeline.js';
import { DEFAULT_SETTINGS, type CandidateSettings } from '../candidate-settings.js';
import type { CandidateSource, ProposedCandidate, SourceQuery } from '../candidate-source.js';
import { DAY_MS, type CandidateStore } from '../candidate-store.js';
import { InMemoryCandidateStore } from '../in-memory-candidate-store.js';
import { engagement, postCreated } from './events.js';
import { RequestLookup } from '../request-lookup.js';
import type { GenerateQuery } from '../requests.js';
import type { SurfaceBudgets } from '../source-budgets.js';

export const silentLogger: Logger = createLogger('test', { level: 'silent' });

/** A fixed "now" for tests: 2025-06-01T12:00:00Z. */
export const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
export const MINUTE = 60 * 1000;
export const HOUR = 60 * MINUTE;
export const DAY = DAY_MS;

export const TEST_SETTINGS: CandidateSettings = {
  ...DEFAULT_SETTINGS,
  // Generous: a loaded test machine must not turn a correct source into a TIMED_OUT one.
  defaultSourceTimeoutMs: 5_000,
  trending: { ...DEFAULT_SETTINGS.trending, cacheMs: 0 },
};

/** An in-memory store and pipeline with a movable clock, fed events directly. */
export class TestWorld {
  now = NOW;
  readonly store: CandidateStore;
  readonly pipeline: CandidatePipeline;

  constructor(
    options: {
      store?: CandidateStore;
      settings?: CandidateSettings;
      defaultBudgets?: Readonly<Record<number, SurfaceBudgets>>;
      sources?: (built: readonly CandidateSource[]) => readonly CandidateSource[];
    } = {},
  ) {
    this.store = options.store ?? new InMemoryCandidateStore();
    this.pipeline = assembleCandidatePipeline({
      store: this.store,
      settings: options.settings ?? TEST_SETTINGS,
      clock: () => this.now,
      logger: silentLogger,
      ...(options.defaultBudgets ? { defaultBudgets: options.defaultBudgets } : {}),
      ...(options.sources ? { sources: options.sources } : {}),
    });
  }

  async apply(...events: eventsv1.Event[]): Promise<void> {
    for (const event of events) await this.pipeline.indexer.apply(event);
  }

  /** Runs one source directly with a budget, as the generator would. */
  async propose(
    sourceName: string,
    query: Partial<Omit<SourceQuery, 'lookup' | 'nowMs'>> & { userId: string },
    maxCandidates = 100,
  ): Promise<ProposedCandidate[]> {
    const source = this.pipeline.sources.find((s) => s.name === sourceName);
    if (!source) throw new Error(`no source ${sourceName}`);
    return source.candidates(
      {
        surface: commonv1.Surface.SURFACE_FOR_YOU,
        tag: undefined,
        exclude: new Set(),
        ...query,
        nowMs: this.now,
        lookup: new RequestLookup(this.store),
      },
      { maxCandidates, timeoutMs: 5_000 },
      new AbortController().signal,
    );
  }

  generate(
    query: Partial<GenerateQuery> & { userId: string },
  ): Promise<candidatesv1.GenerateResponse> {
    return this.pipeline.generator.generate(
      {
        surface: commonv1.Surface.SURFACE_FOR_YOU,
        tag: undefined,
        maxCandidates: 1_000,
        budgets: new Map(),
        exclude: new Set(),
        ...query,
      },
      new AbortController().signal,
    );
  }
}

export function ids(candidates: readonly { post: { postId: string } }[]): string[] {
  return candidates.map((c) => c.post.postId);
}

/**
 * u1 liked p0..p34, oldest first, so p0 is older than a walk's seeds; f liked p0, then p34 (a
 * seed), then `new`: what a source must not propose back to u1, and what it may.
 */
export async function longEngagementHistory(): Promise<TestWorld> {
  const world = new TestWorld();
  for (let i = 0; i < 35; i++) await world.apply(postCreated(`p${i}`, `b${i}`, NOW - DAY));
  await world.apply(postCreated('new', 'bn', NOW - DAY));
  for (let i = 0; i < 35; i++) {
    await world.apply(engagement('u1', `p${i}`, NOW - 10 * HOUR + i * MINUTE));
  }
  await world.apply(
    engagement('f', 'p0', NOW - HOUR),
    engagement('f', 'p34', NOW - HOUR + MINUTE),
    engagement('f', 'new', NOW - HOUR + 2 * MINUTE),
  );
  return world;
}
