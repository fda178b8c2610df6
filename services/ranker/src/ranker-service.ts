import { packedRankerDefinition, type rankerv1 } from '@feedmesh/contracts';
import type { ModelRegistry, ModelVersion } from '@feedmesh/models';
import { withSpan } from '@feedmesh/telemetry';
import type { ServiceImplementation } from 'nice-grpc';
import type { ModelLoader } from './model-loader.js';
import { objectiveToProto } from './objectives.js';
import { parseRankRequest } from './rank-request.js';

export interface RankerServiceDeps {
  readonly loader: ModelLoader;
  readonly registry: ModelRegistry;
}

export function rankerService(
  deps: RankerServiceDeps,
): ServiceImplementation<typeof packedRankerDefinition> {
  return {
    async rank(request) {
      const input = parseRankRequest(request);
      const loaded = await deps.loader.resolve(input.model, input.modelVersion);
      return withSpan(
        'ranker.score',
        {
          'feedmesh.model': loaded.name,
          'feedmesh.model_version': loaded.version,
          'feedmesh.candidates': input.candidates.rows,
        },
        () => {
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
