export {
  fnv1a32,
  growthbookHash,
  bucketRanges,
  chooseVariant,
  equalWeights,
  inNamespace,
  type BucketRange,
  type HashVersion,
} from './growthbook-hash.js';
export {
  parseExperimentsConfig,
  validateExperimentsConfig,
  findExperiment,
  formatPath,
  ExperimentConfigError,
  EMPTY_EXPERIMENTS_CONFIG,
  OBJECTIVES,
  type ObjectiveName,
  type ConfigIssue,
  type ExperimentsConfig,
  type LayerConfig,
  type ExperimentConfig,
  type VariantConfig,
  type PipelineOverrides,
  type SourceBudgetOverride,
} from './experiment-config.js';
export { assign, assignExperiment, mergedOverrides, type Assignment } from './assignment.js';
export {
  exposureOf,
  mixerNumber,
  objectiveWeightsOf,
  sourceBudgetsOf,
} from './pipeline-overrides.js';
export {
  ExperimentConfigWatcher,
  type ExperimentConfigWatcherOptions,
} from './experiment-config-watcher.js';
export {
  summarize,
  meanInterval,
  welchTTest,
  summarizeRatio,
  compareRatios,
  ratioInterval,
  cuped,
  sampleRatioMismatch,
  mixtureSequentialTest,
  negligibleVariance,
  holmAdjusted,
  liftInterval,
  SEQUENTIAL_MIN_USERS_PER_ARM,
  NEGLIGIBLE_RELATIVE_SPREAD,
  type Summary,
  type ArmEstimate,
  type RatioSummary,
  type Comparison,
  type CupedResult,
  type SampleRatioCheck,
  type SequentialLook,
  type SequentialResult,
} from './statistics.js';
export {
  aggregateExperimentEvents,
  cumulativeCounts,
  emptyCounts,
  ACTIVITY_FIELDS,
  type ActivityCounts,
  type UserAggregate,
  type AggregationOptions,
  type ExperimentAggregates,
  type EventSource,
} from './user-aggregates.js';
export {
  SUCCESS_METRICS,
  type MetricDefinition,
  type MetricKind,
  type MetricContext,
} from './success-metrics.js';
export {
  buildExperimentReport,
  experimentReportFromEvents,
  type ReportOptions,
  type ExperimentReport,
  type ExperimentReportFromEventsOptions,
  type MetricResult,
  type VariantComparison,
  type VariantValue,
  type VariantCount,
  type SeriesPoint,
  type DifferencePoint,
  type CupedComparison,
} from './experiment-report.js';
export { renderExperimentReportHtml } from './report-html.js';
export { rerandomizedAggregates, rerandomizedExposures } from './rerandomized-exposures.js';
