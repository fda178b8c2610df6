/**
 * Ranking models: the JSON model format, inference (`Scorer`), logistic-regression training,
 * offline metrics, and the model registry.
 *
 *   const scorer = new Scorer(model);                       // once per model version
 *   const { probabilities, values } = scorer.score({ user, candidates, weights });
 *   const { model } = trainLogistic(examples, { l2: 1e-3 }); // deterministic
 *   await registry.publish('feed', model, { trainedAtMs, metrics, promote: true });
 */
export {
  OBJECTIVES,
  DEFAULT_OBJECTIVE_WEIGHTS,
  isObjectiveName,
  type ObjectiveName,
} from './objectives.js';
export {
  MODEL_FORMAT,
  parseModelDocument,
  featureNamesOf,
  objectivesOf,
  type FeatureSpec,
  type FeatureTransform,
  type LogisticModelDocument,
  type LogisticObjective,
  type ModelDocument,
  type RegressionTree,
  type TreeEnsembleModelDocument,
  type TreeEnsembleObjective,
  type TreeFeatureSpec,
} from './model-document.js';
export {
  anyMissing,
  isMissing,
  setMissing,
  type NamedMatrix,
  type NamedVector,
} from './feature-input.js';
export { Scorer, signedLog1p, type ScoreRequest, type Scores } from './scorer.js';
export { sigmoid } from './predictor.js';
export {
  HEURISTIC_MODEL_NAME,
  HEURISTIC_MODEL_VERSION,
  heuristicModel,
} from './heuristic.model.js';
export { countPositives, selectRows, type LabeledExamples } from './labeled-examples.js';
export {
  trainLogistic,
  type LogisticTrainingOptions,
  type LogisticTrainingResult,
  type ObjectiveFit,
} from './logistic.training.js';
export {
  auc,
  logLoss,
  calibrationByDecile,
  expectedCalibrationError,
  type CalibrationBucket,
} from './metrics.js';
export {
  trainGbdt,
  type GbdtFit,
  type GbdtLoss,
  type GbdtTrainingOptions,
  type GbdtTrainingResult,
} from './gbdt.training.js';
export { fitPlatt } from './platt.js';
export { importXgboostModels, type XgboostImportOptions } from './xgboost-import.js';
export { binFeatures, binWith, type BinnedFeatures } from './feature-bins.js';
export { lambdaRankGradients, meanNdcgAt, queryOffsets } from './lambda-rank.js';
export { evaluateModel, type Evaluation } from './evaluation.js';
export {
  checkModelName,
  CurrentVersionChangedError,
  DanglingCurrentVersionError,
  DEFAULT_MAX_VERSIONS_PER_NAME,
  PROMOTION_HISTORY_LENGTH,
  type ModelRegistry,
  type ModelRegistryOptions,
  type ModelVersion,
  type PromoteOptions,
  type Promotion,
  type PublishOptions,
  type StoredModel,
} from './model-registry.js';
export { InMemoryModelRegistry } from './in-memory-model-registry.js';
export { RedisModelRegistry, type RedisModelRegistryOptions } from './redis-model-registry.js';
export { seededRandom, type SeededRandom } from './random.js';
export { modelRegistryFor } from './registry-for.js';
