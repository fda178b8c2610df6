import { packedRankerDefinition, type rankerv1 } from '@feedmesh/contracts';
import type { ModelRegistry, ModelVersion } from '@feedmesh/models';
import type { Logger } from '@feedmesh/service-kit';
import { withSpan } from '@feedmesh/telemetry';
import type { ServiceImplementation } from 'nice-grpc';
import type { LoadedModel, ModelLoader } from './model-loader.js';
import { objectiveToProto } from './objectives.js';
import { parseRankRequest, type RankInput } from './rank-request.js';
import { NO_RANKER_METRICS, type RankerMetrics } from './ranker-metrics.js';

export interface RankerServiceDeps {
  readonly loader: ModelLoader;
  readonly registry: ModelRegistry;
  readonly logger?: Logger;
  readonly metrics?: RankerMetrics;
}

/** Distinct (model version, absent features) pairs logged, before the memory is cleared. */
const MAX_ABSENT_LOGGED = 256;
/** Names of absent features a log line lists. */
const ABSENT_LISTED = 32;

export function rankerService(
  deps: RankerServiceDeps,
): ServiceImplementation<typeof packedRankerDefinition> {
  const metrics = deps.metrics ?? NO_RANKER_METRICS;
  const absentLogged = new Set<string>();

  /**
   * A model feature in neither the candidate columns nor the user vector takes its default,
   * as the contract says; but a model trained on another feature schema then scores every
   * row alike, so the mismatch is marked on the span, counted, and logged once.
   */
  function checkFeatures(loaded: LoadedModel, input: RankInput): string[] {
    const present = new Set(input.candidates.names);
    for (const name of input.user?.names ?? []) present.add(name);
    const absent = loaded.scorer.featureNames.filter((name) => !present.has(name));
    if (absent.length === 0) return absent;
    metrics.featuresAbsent(loaded.name, loaded.version);
    const key = `${loaded.name}@${loaded.version}\u0001${absent.join('\u0000')}`;
    if (!absentLogged.has(key)) {
      if (absentLogged.size >= MAX_ABSENT_LOGGED) absentLogged.clear();
      absentLogged.add(key);
      deps.logger?.warn(
        {
          model: loaded.name,
          version: loaded.version,
          absent: absent.slice(0, ABSENT_LISTED),
          absentCount: absent.length,
          featureCount: loaded.scorer.featureNames.length,
        },
        ABSENT_FEATURES_MESSAGE,
      );
    }
    return absent;
  }

  return {
    async rank(request) {
      const input = parseRankRequest(request);
      const { model: loaded, fallback } = await deps.loader.resolve(
        input.model,
        input.modelVersion,
      );
      const wanted = input.model === '' ? deps.loader.defaultModel : input.model;
      if (fallback) metrics.fellBack(wanted, fallback);
      return withSpan(
        'ranker.score',
        {
          'feedmesh.model': loaded.name,
          'feedmesh.model_version': loaded.version,
          'feedmesh.model_requested': wanted,
          ...(fallback ? { 'feedmesh.model_fallback': fallback } : {}),
          'feedmesh.candidates': input.candidates.rows,
        },
        (span) => {
          if (input.candidates.rows > 0) {
            const absent = checkFeatures(loaded, input);
            if (absent.length > 0) span.setAttribute('feedmesh.features_absent', absent.length);
          }
          const scores = loaded.scorer.score(input);
          return {
            model: loaded.name,
            modelVersion: loaded.version,
            objectives: scores.objectives.map(objectiveToProto),
            // Typed arrays straight to the wire (packedRankerDefinition): no per-value copy.
            probabilities: scores.probabilities,
            values: scores.values,
          };
        },
      );
    },

    async listModels() {
      const [versions, pointers] = await Promise.all([
        deps.registry.list(),
        deps.registry.currentVersions(),
      ]);
      const builtIn = deps.loader.builtIn.info;
      const models = [builtIn, ...versions].map((info) =>
        toModelInfo(
          info,
          info === builtIn || pointers.get(info.name) === info.version,
          deps.loader.isLoaded(info.name, info.version),
        ),
      );
      return { models };
    },
  };
}

function toModelInfo(info: ModelVersion, current: boolean, loaded: boolean): rankerv1.ModelInfo {
  return {
    name: info.name,
    version: info.version,
    family: info.family,
    trainedAtMs: info.trainedAtMs,
    featureNames: [...info.featureNames],
    objectives: info.objectives.map(objectiveToProto),
    metrics: { ...info.metrics },
    current,
    loaded,
  };
}

/** The log line that says a model scored requests lacking some of its features. */
export const ABSENT_FEATURES_MESSAGE =
  "requests lack some of the model's features: they take the model's defaults";
