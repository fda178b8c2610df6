import { candidatesv1 } from '@feedmesh/contracts';
import { meter } from '@feedmesh/telemetry';

/** Per-source outcomes, for dashboards: latency and candidates by source and status. */
export interface SourceMetrics {
  record(report: candidatesv1.SourceReport, surface: string): void;
}

/** Instruments on the process's meter provider: create after `startTelemetry`. */
export function createSourceMetrics(): SourceMetrics {
  const scope = meter('@feedmesh/candidate-generation');
  const duration = scope.createHistogram('feedmesh.candidates.source.duration', {
    description: 'Wall time of one candidate source in a Generate call',
    unit: 'ms',
  });
  const candidates = scope.createHistogram('feedmesh.candidates.source.candidates', {
    description: 'Candidates one source returned in a Generate call, before de-duplication',
    unit: '{candidate}',
  });
  return {
    record(report, surface) {
      const attributes = {
        'feedmesh.source': report.source,
        'feedmesh.source.status': candidatesv1.sourceStatusToJSON(report.status),
        'feedmesh.surface': surface,
      };
      duration.record(report.elapsedMs, attributes);
      candidates.record(report.count, attributes);
    },
  };
}
