import Table from 'cli-table3';
import type { FeedBenchReport } from './feed-bench.js';
import type { RunSummary } from './feed-bench-report.js';

const plain = { head: [], border: [] };
const ms = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? '-' : value.toFixed(1);
const share = (value: number) => `${(value * 100).toFixed(1)}%`;

/** The report as a person reads it: one row per level, the targets, CPU, the slowest stages. */
export function renderFeedBench(report: FeedBenchReport): string {
  const { machine, world, settings } = report;
  const lines = [
    `world ${world.preset} (seed ${world.seed}): ${world.users} users, ${world.posts} posts` +
      `${world.publishedEvents ? `, ${world.publishedEvents} events published` : ', reused'}; model ${report.model || '-'}`,
    `${machine.cpus} cpus, load average ${machine.loadAverageBefore.join(' ')} before, ${machine.loadAverageAfter.join(' ')} after`,
    `page ${settings.pageSize}, up to ${settings.maxCandidates} candidates per feed, response ${settings.responseBytes} bytes` +
      ` (the echo payload), ${settings.durationMs / 1000} s per level`,
  ];

  const behind = Object.entries(report.backgroundLag).filter(([, lag]) => lag > 0);
  if (behind.length > 0) {
    lines.push(
      `still catching up while measured: ${behind.map(([group, lag]) => `${group} ${lag} events`).join(', ')}`,
    );
  }
  const levels = new Table({
    head: [
      'callers',
      'feeds/s',
      'p50',
      'p95',
      'p99 ms',
      'errors',
      'degraded',
      'scored',
      'echo/s',
      'echo p99',
      'hollow/s',
      'ratio',
      'load',
    ],
    colAligns: Array(13).fill('right'),
    style: plain,
  });
  for (const level of report.levels) {
    levels.push([
      level.concurrency,
      level.feed.callsPerSecond.toFixed(1),
      ms(level.feed.latency.p50Ms),
      ms(level.feed.latency.p95Ms),
      ms(level.feed.latency.p99Ms),
      errorsOf(level.feed),
      share(level.feed.degradedShare),
      level.feed.candidates.sampledFeeds ? level.feed.candidates.scoredMean.toFixed(0) : '-',
      level.echo ? level.echo.callsPerSecond.toFixed(0) : '-',
      ms(level.echo?.latency.p99Ms),
      level.hollowMesh ? level.hollowMesh.callsPerSecond.toFixed(0) : '-',
      level.ratio === undefined ? '-' : level.ratio.toFixed(3),
      level.feed.loadAverage1m.toFixed(2),
    ]);
  }
  lines.push(levels.toString());
  for (const level of report.levels) {
    const by = Object.entries(level.feed.degradedBy).sort((a, b) => b[1] - a[1]);
    if (by.length > 0) {
      lines.push(
        `degraded at ${level.concurrency} callers: ${by.map(([component, count]) => `${component} ${count}`).join(', ')}`,
      );
    }
  }

  const fixed = report.fixedRate;
  if (fixed) {
    lines.push(
      `fixed rate ${fixed.targetPerSecond}/s: ${fixed.callsPerSecond.toFixed(1)} feeds/s, p50 ${ms(fixed.latency.p50Ms)}, ` +
        `p99 ${ms(fixed.latency.p99Ms)} ms, ${errorsOf(fixed)} errors, ${share(fixed.degradedShare)} degraded, ` +
        `${fixed.candidates.scoredMean.toFixed(0)} candidates scored per feed (${fixed.candidates.sampledFeeds} sampled)`,
    );
  }
  const { p99At100PerSecond: p99, peakOverEcho: peak } = report.targets;
  lines.push(
    `target p99 <= 50 ms at 100 feeds/s: ${p99.measuredMs === undefined ? 'not measured' : `${ms(p99.measuredMs)} ms, ${p99.met ? 'met' : 'NOT met'}`}`,
  );
  if (p99.boundMs !== undefined) {
    lines.push(
      `  bound: the hollow mesh at 100/s (the feed's RPCs in turn, no work): p99 ${ms(p99.boundMs)} ms` +
        (p99.boundMs > p99.targetMs ? ': no mesh of this shape can meet the target here' : ''),
    );
  }
  lines.push(
    `target peak >= 1/4 of echo: ${report.peak.feedsPerSecond.toFixed(1)} feeds/s (at ${report.peak.atConcurrency} callers) / ` +
      `${report.peak.echoPerSecond?.toFixed(0) ?? '-'} echo/s = ${peak.measured?.toFixed(3) ?? '-'}, ${peak.met === undefined ? 'not measured' : peak.met ? 'met' : 'NOT met'}`,
  );
  if (peak.bound !== undefined) {
    lines.push(
      `  bound: the hollow mesh (the echo through ${report.peak.hollowMeshCalls} RPCs in turn, as a feed makes them, no work) ` +
        `peaked at ${report.peak.hollowMeshPerSecond?.toFixed(0) ?? '-'}/s = ${peak.bound.toFixed(3)} of the echo` +
        (peak.bound < peak.target ? ': no mesh of this shape can reach the target here' : ''),
    );
  }

  const busiest = [...report.levels].sort(
    (a, b) => b.feed.callsPerSecond - a.feed.callsPerSecond,
  )[0];
  if (busiest) {
    const cpu = new Table({
      head: ['process', 'cores', 'ms CPU per feed'],
      colAligns: ['left', 'right', 'right'],
      style: plain,
    });
    for (const usage of busiest.feed.cpu) {
      cpu.push([
        usage.name,
        usage.cores.toFixed(2),
        busiest.feed.ok ? (usage.cpuMs / busiest.feed.ok).toFixed(2) : '-',
      ]);
    }
    lines.push(
      `CPU at ${busiest.concurrency} callers (redis-server is shared with whatever else runs):`,
      cpu.toString(),
    );
  }
  if (report.stages.length > 0) {
    const stages = new Table({
      head: ['service', 'span', 'sampled', 'p50', 'p95', 'mean ms'],
      colAligns: ['left', 'left', 'right', 'right', 'right', 'right'],
      style: plain,
    });
    for (const stage of report.stages.slice(0, 12)) {
      stages.push([
        stage.service,
        stage.name,
        stage.count,
        ms(stage.p50Ms),
        ms(stage.p95Ms),
        ms(stage.meanMs),
      ]);
    }
    lines.push(
      `slowest spans in the sampled traces (${share(settings.traceSampleRatio)} of feeds):`,
      stages.toString(),
    );
  }
  return `${lines.join('\n')}\n`;
}

function errorsOf(run: RunSummary): string {
  const kinds = Object.entries(run.errorsByKind);
  return kinds.length ? kinds.map(([kind, count]) => `${count} ${kind}`).join(', ') : '0';
}
