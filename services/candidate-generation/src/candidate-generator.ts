import { candidatesv1, commonv1 } from '@feedmesh/contracts';
import { FeedmeshError, UnavailableError } from '@feedmesh/errors';
import type { Logger } from '@feedmesh/service-kit';
import { withSpan } from '@feedmesh/telemetry';
import { abortable } from 'abort-controller-x';
import { mergeCandidates, type SourceAnswer } from './candidate-merger.js';
import {
  PLANNED_SOURCE_NAMES,
  type CandidateSource,
  type ProposedCandidate,
  type SourceBudget,
  type SourceQuery,
} from './candidate-source.js';
import type { CandidateStore } from './candidate-store.js';
import { RequestLookup } from './request-lookup.js';
import type { GenerateQuery } from './requests.js';
import type { SurfaceBudgets } from './source-budgets.js';
import type { SourceMetrics } from './source-metrics.js';

const Status = candidatesv1.SourceStatus;

export interface CandidateGeneratorOptions {
  readonly store: CandidateStore;
  /** In report order. */
  readonly sources: readonly CandidateSource[];
  readonly defaultBudgets: Readonly<Record<number, SurfaceBudgets>>;
  readonly defaultTimeoutMs: number;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly metrics?: SourceMetrics;
}

/** A source as one request will run it, or why it will not. */
type Plan =
  | {
      readonly name: string;
      readonly source: CandidateSource;
      readonly budget: SourceBudget;
      readonly weight: number;
    }
  | { readonly name: string; readonly skipped: string };

interface SourceOutcome {
  readonly report: candidatesv1.SourceReport;
  readonly candidates: readonly ProposedCandidate[];
}

/**
 * Generate: runs the applicable sources in parallel, each within its own count and time
 * budget, and merges what they propose. A source that fails or misses its budget is dropped
 * and reported; the call fails (UNAVAILABLE) only when every source that ran failed.
 */
export class CandidateGenerator {
  /** Names a request may budget: the sources, and the planned ones the contract names. */
  readonly sourceNames: ReadonlySet<string>;
  private readonly sources: ReadonlyMap<string, CandidateSource>;

  constructor(private readonly options: CandidateGeneratorOptions) {
    this.sources = new Map(options.sources.map((source) => [source.name, source]));
    this.sourceNames = new Set([...this.sources.keys(), ...PLANNED_SOURCE_NAMES.keys()]);
  }

  async generate(
    query: GenerateQuery,
    signal: AbortSignal,
  ): Promise<candidatesv1.GenerateResponse> {
    const surface = commonv1.surfaceToJSON(query.surface);
    return withSpan(
      'candidates.generate',
      { 'feedmesh.user': query.userId, 'feedmesh.surface': surface },
      async (span) => {
        // What the user blocked or hid is left out by every source, not filtered afterwards,
        // so it does not cost them part of their budget.
        const hidden = await this.options.store.hiddenFrom(query.userId);
        const exclude =
          hidden.posts.size === 0 ? query.exclude : new Set([...query.exclude, ...hidden.posts]);
        const sourceQuery: SourceQuery = {
          userId: query.userId,
          surface: query.surface,
          tag: query.tag,
          exclude,
          nowMs: this.options.clock(),
          lookup: new RequestLookup(this.options.store, hidden.blogs),
        };
        const plans = this.plan(query);
        const outcomes = await Promise.all(
          plans.map((plan) =>
            'skipped' in plan
              ? skippedOutcome(plan.name, plan.skipped)
              : this.run(plan.source, plan.budget, sourceQuery, signal),
          ),
        );
        const reports = outcomes.map((outcome) => outcome.report);
        for (const report of reports) this.options.metrics?.record(report, surface);
        const ran = reports.filter((report) => report.status !== Status.SOURCE_STATUS_SKIPPED);
        if (ran.length > 0 && ran.every((report) => report.status !== Status.SOURCE_STATUS_OK)) {
          const why = ran.map((report) => `${report.source}: ${report.error}`).join('; ');
          throw new UnavailableError('candidate sources', `every source failed (${why})`);
        }
        const answers: SourceAnswer[] = outcomes.map((outcome, i) => {
          const plan = plans[i]!;
          return {
            source: outcome.report.source,
            candidates: outcome.candidates,
            weight: 'weight' in plan ? plan.weight : 1,
          };
        });
        const candidates = mergeCandidates(answers, query.maxCandidates, query.view);
        // The ranking view has no summaries: the caller describes only what it serves.
        if (query.view !== candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING) {
          const summaries = await this.options.store.summaries(candidates.map((c) => c.postId));
          for (const candidate of candidates)
            candidate.summary = summaries.get(candidate.postId) ?? '';
        }
        span.setAttribute('feedmesh.candidates', candidates.length);
        span.setAttribute(
          'feedmesh.sources.dropped',
          ran.filter((report) => report.status !== Status.SOURCE_STATUS_OK).map((r) => r.source),
        );
        return { candidates, sources: reports };
      },
    );
  }

  /**
   * Every source of this service, plus any planned source the request budgets, with the
   * budget it gets: the request's override, else the surface's default, else off.
   */
  private plan(query: GenerateQuery): Plan[] {
    const defaults = this.options.defaultBudgets[query.surface] ?? {};
    const plans: Plan[] = [];
    for (const [name, source] of this.sources) {
      const override = query.budgets.get(name);
      const setting = override ?? defaults[source.name];
      if (!source.surfaces.has(query.surface)) {
        plans.push({ name, skipped: `not applicable to ${commonv1.surfaceToJSON(query.surface)}` });
      } else if (!setting || setting.maxCandidates === 0) {
        plans.push({
          name,
          skipped: override ? 'disabled by the request budget' : 'off for this surface',
        });
      } else {
        const timeoutMs = setting.timeoutMs || this.options.defaultTimeoutMs;
        const maxCandidates = Math.min(setting.maxCandidates, query.maxCandidates);
        const weight = defaults[source.name]?.weight ?? 1;
        plans.push({ name, source, budget: { maxCandidates, timeoutMs }, weight });
      }
    }
    for (const [name, why] of PLANNED_SOURCE_NAMES) {
      if (query.budgets.has(name)) plans.push({ name, skipped: why });
    }
    return plans;
  }

  private run(
    source: CandidateSource,
    budget: SourceBudget,
    query: SourceQuery,
    callSignal: AbortSignal,
  ): Promise<SourceOutcome> {
    return withSpan(
      `source.${source.name}`,
      {
        'feedmesh.source': source.name,
        'feedmesh.source.max_candidates': budget.maxCandidates,
        'feedmesh.source.timeout_ms': budget.timeoutMs,
      },
      async (span) => {
        const outcome = await this.runWithinBudget(source, budget, query, callSignal);
        span.setAttribute(
          'feedmesh.source.status',
          candidatesv1.sourceStatusToJSON(outcome.report.status),
        );
        span.setAttribute('feedmesh.source.count', outcome.report.count);
        return outcome;
      },
    );
  }

  private async runWithinBudget(
    source: CandidateSource,
    budget: SourceBudget,
    query: SourceQuery,
    callSignal: AbortSignal,
  ): Promise<SourceOutcome> {
    const controller = new AbortController();
    const onCallAbort = () => controller.abort(callSignal.reason);
    callSignal.addEventListener('abort', onCallAbort);
    if (callSignal.aborted) onCallAbort();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, budget.timeoutMs);
    const started = performance.now();
    const report = (status: candidatesv1.SourceStatus, count: number, error = '') => ({
      source: source.name,
      status,
      count,
      elapsedMs: performance.now() - started,
      error,
    });
    try {
      // abortable: a source that ignores its signal is still cut off at its budget.
      const candidates = await abortable(
        controller.signal,
        source.candidates(query, budget, controller.signal),
      );
      const kept = candidates.slice(0, budget.maxCandidates);
      return { report: report(Status.SOURCE_STATUS_OK, kept.length), candidates: kept };
    } catch (error) {
      if (callSignal.aborted) throw error;
      if (timedOut) {
        return {
          report: report(
            Status.SOURCE_STATUS_TIMED_OUT,
            0,
            `no answer within its ${budget.timeoutMs} ms budget`,
          ),
          candidates: [],
        };
      }
      this.options.logger.warn({ err: error, source: source.name }, 'candidate source failed');
      // Like the gRPC error mapping: a bug's message stays in the log.
      const why =
        error instanceof FeedmeshError && error.kind !== 'internal'
          ? error.message
          : 'internal error';
      return { report: report(Status.SOURCE_STATUS_FAILED, 0, why), candidates: [] };
    } finally {
      clearTimeout(timer);
      callSignal.removeEventListener('abort', onCallAbort);
    }
  }
}

async function skippedOutcome(name: string, why: string): Promise<SourceOutcome> {
  return {
    report: {
      source: name,
      status: Status.SOURCE_STATUS_SKIPPED,
      count: 0,
      elapsedMs: 0,
      error: why,
    },
    candidates: [],
  };
}
