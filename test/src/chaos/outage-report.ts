import type { CallSample } from './closed-loop.js';

/** When one service was crashed and started again, as the test saw it (ms since the epoch). */
export interface Outage {
  readonly service: string;
  readonly crashedAt: number;
  /** The new process logged that it listens: the moment "the restart" is measured from. */
  readonly listeningAt: number;
  /** End of the observation after the restart. */
  readonly observedUntil: number;
}

export interface OutageReport {
  readonly service: string;
  /** From the crash to the new process listening, ms. */
  readonly downMs: number;
  /** Calls started from the crash to the end of the observation. */
  readonly calls: number;
  readonly succeeded: number;
  /** succeeded / calls. */
  readonly successShare: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** Calls started after the crash that ended before the restart listened. */
  readonly callsWhileDown: number;
  /** Of those, the ones whose `degraded` named the service. */
  readonly degradedWhileDown: number;
  /**
   * From the restart listening to the start of the first call after which no call was
   * unhealthy, ms; 0 when none was unhealthy after the restart; undefined when the
   * observation ended unhealthy (never recovered).
   */
  readonly recoveryMs: number | undefined;
  /**
   * The last call that counted against recovery, when one did after the restart: when it
   * started (ms after the restart listened), its status, and what it named degraded and why.
   */
  readonly lastUnhealthy: string | undefined;
  /**
   * Degradations of other components seen meanwhile (load noise: a source timing out), by
   * "component: reason" with the reason's detail in brackets left out.
   */
  readonly otherDegraded: Readonly<Record<string, number>>;
  /** Slowest call, ms. */
  readonly maxLatencyMs: number;
}

/**
 * Summarizes the feeds of one outage. `unhealthy` says which samples count against
 * recovery: for a service GetFeed depends on, a feed that names it in `degraded`.
 */
export function outageReport(
  samples: readonly CallSample[],
  outage: Outage,
  judge: {
    /** What counts as a successful call. */
    readonly succeeded: (sample: CallSample) => boolean;
    /** What counts against recovery. */
    readonly unhealthy: (sample: CallSample) => boolean;
  },
): OutageReport {
  const during = samples
    .filter((s) => s.startedAt >= outage.crashedAt && s.startedAt < outage.observedUntil)
    .sort((a, b) => a.startedAt - b.startedAt);
  const statuses: Record<string, number> = {};
  const otherDegraded: Record<string, number> = {};
  for (const sample of during) {
    statuses[sample.status] = (statuses[sample.status] ?? 0) + 1;
    sample.degraded.forEach((component, i) => {
      if (component === outage.service) return;
      const key = `${component}: ${briefly(sample.reasons[i] ?? '')}`;
      otherDegraded[key] = (otherDegraded[key] ?? 0) + 1;
    });
  }
  const whileDown = during.filter((s) => s.endedAt < outage.listeningAt);
  const ok = during.filter(judge.succeeded).length;
  return {
    service: outage.service,
    downMs: outage.listeningAt - outage.crashedAt,
    calls: during.length,
    succeeded: ok,
    successShare: during.length === 0 ? 0 : ok / during.length,
    statuses,
    callsWhileDown: whileDown.length,
    degradedWhileDown: whileDown.filter((s) => s.degraded.includes(outage.service)).length,
    recoveryMs: recoveryMs(during, outage.listeningAt, judge.unhealthy),
    lastUnhealthy: describeLastUnhealthy(during, outage.listeningAt, judge.unhealthy),
    otherDegraded,
    maxLatencyMs: Math.max(0, ...during.map((s) => s.endedAt - s.startedAt)),
  };
}

function recoveryMs(
  samples: readonly CallSample[],
  listeningAt: number,
  unhealthy: (sample: CallSample) => boolean,
): number | undefined {
  let lastUnhealthy = -1;
  samples.forEach((sample, index) => {
    if (unhealthy(sample)) lastUnhealthy = index;
  });
  if (lastUnhealthy === -1) return 0;
  const firstHealthy = samples[lastUnhealthy + 1];
  if (firstHealthy === undefined) return undefined;
  return Math.max(0, firstHealthy.startedAt - listeningAt);
}

/** A degradation's reason without its bracketed detail (error messages, timings). */
function briefly(reason: string): string {
  const bracket = reason.indexOf(' (');
  return bracket === -1 ? reason : reason.slice(0, bracket);
}

function describeLastUnhealthy(
  samples: readonly CallSample[],
  listeningAt: number,
  unhealthy: (sample: CallSample) => boolean,
): string | undefined {
  const last = samples.filter((s) => s.startedAt >= listeningAt && unhealthy(s)).at(-1);
  if (!last) return undefined;
  const degraded = last.degraded.map((component, i) => `${component}: ${last.reasons[i] ?? ''}`);
  return (
    `started ${last.startedAt - listeningAt} ms after the restart, took ` +
    `${last.endedAt - last.startedAt} ms, ${last.status}` +
    (last.error ? ` (${last.error})` : '') +
    (degraded.length ? `; degraded ${degraded.join('; ')}` : '')
  );
}

/** One line per outage, for the test's output and the README. */
export function formatReports(reports: readonly OutageReport[]): string {
  const rows = reports.map((r) =>
    [
      r.service.padEnd(34),
      `down ${(r.downMs / 1000).toFixed(1)} s`,
      `calls ${r.calls}`,
      `ok ${(r.successShare * 100).toFixed(2)}%`,
      `degraded while down ${r.degradedWhileDown}/${r.callsWhileDown}`,
      `recovery ${r.recoveryMs === undefined ? 'never' : `${(r.recoveryMs / 1000).toFixed(2)} s`}` +
        (r.recoveryMs !== undefined && r.recoveryMs > 5_000 ? ' (beyond the 5 s target)' : ''),
      `max ${r.maxLatencyMs} ms`,
      `statuses ${JSON.stringify(r.statuses)}`,
      Object.keys(r.otherDegraded).length ? `other ${JSON.stringify(r.otherDegraded)}` : '',
    ].join('  '),
  );
  return rows.join('\n');
}
