import type { LoadRun } from './load-loop.js';
import { round, summarizeLatencies, type LatencySummary } from './latency-summary.js';
import type { CpuUsage } from './process-cpu.js';
import type { RecordedSpan } from './span-recorder.js';

/** One load run, summarized. */
export interface RunSummary {
  /** Successful calls per second over the run. */
  readonly callsPerSecond: number;
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  readonly errorsByKind: Readonly<Record<string, number>>;
  /** Share of successful answers that said a stage failed open. */
  readonly degradedShare: number;
  /** Degraded answers by the component that failed open. */
  readonly degradedBy: Readonly<Record<string, number>>;
  readonly latency: LatencySummary;
  readonly elapsedMs: number;
  /** CPU of each process over the run; `cores` 1 is one core busy throughout. */
  readonly cpu: readonly CpuUsage[];
  readonly loadAverage1m: number;
}

/** Candidates per feed, from the sampled `feed.pipeline` spans of a run. */
export interface CandidateCounts {
  readonly sampledFeeds: number;
  /** What candidate-generation returned, per feed (mean). */
  readonly generatedMean: number;
  /** What survived the filters and went to the ranker, per feed (mean). */
  readonly scoredMean: number;
}

/** A span name's durations across the sampled traces. */
export interface StageTiming {
  readonly service: string;
  readonly name: string;
  readonly count: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly meanMs: number;
}

export function summarizeRun(
  run: LoadRun,
  cpu: readonly CpuUsage[],
  loadAverage1m: number,
): RunSummary {
  return {
    callsPerSecond: run.elapsedMs > 0 ? round((run.ok * 1000) / run.elapsedMs, 1) : 0,
    sent: run.sent,
    ok: run.ok,
    errors: run.errors,
    errorsByKind: run.errorsByKind,
    degradedShare: run.ok > 0 ? round(run.degraded / run.ok, 4) : 0,
    degradedBy: run.degradedBy,
    latency: summarizeLatencies(run.latenciesMs),
    elapsedMs: Math.round(run.elapsedMs),
    cpu: cpu.map((c) => ({ ...c, cpuMs: Math.round(c.cpuMs), cores: round(c.cores, 3) })),
    loadAverage1m: round(loadAverage1m, 2),
  };
}

export function candidateCounts(spans: readonly RecordedSpan[]): CandidateCounts {
  const feeds = spans.filter(
    (s) => s.name === 'feed.pipeline' && s.numbers['feedmesh.candidates.generated'] !== undefined,
  );
  const mean = (key: string) =>
    feeds.length
      ? round(feeds.reduce((sum, s) => sum + (s.numbers[key] ?? 0), 0) / feeds.length, 1)
      : 0;
  return {
    sampledFeeds: feeds.length,
    generatedMean: mean('feedmesh.candidates.generated'),
    scoredMean: mean('feedmesh.candidates.filtered'),
  };
}

/** Durations by service and span name, slowest mean first. */
export function stageTimings(spans: readonly RecordedSpan[], limit = 20): StageTiming[] {
  const groups = new Map<string, { service: string; name: string; durations: number[] }>();
  for (const span of spans) {
    const key = `${span.service}\0${span.name}`;
    const group = groups.get(key) ?? { service: span.service, name: span.name, durations: [] };
    group.durations.push(span.durationMs);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map(({ service, name, durations }) => {
      const latency = summarizeLatencies(durations);
      return {
        service,
        name,
        count: latency.count,
        p50Ms: latency.p50Ms,
        p95Ms: latency.p95Ms,
        meanMs: latency.meanMs,
      };
    })
    .sort((a, b) => b.meanMs - a.meanMs)
    .slice(0, limit);
}

/** feeds/s ÷ echo/s, or undefined without an echo measurement. */
export function ratioOf(
  feedsPerSecond: number,
  echoPerSecond: number | undefined,
): number | undefined {
  return echoPerSecond && echoPerSecond > 0 ? round(feedsPerSecond / echoPerSecond, 4) : undefined;
}
