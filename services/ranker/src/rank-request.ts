import { rankerv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import type { NamedMatrix, NamedVector, ObjectiveName } from '@feedmesh/models';
import { optionalId, requireEnum, requireMaxItems } from '@feedmesh/service-kit';
import { objectiveFromProto } from './objectives.js';

/** The proto's limit on candidate rows. */
export const MAX_CANDIDATES = 5_000;
/** Columns per matrix: far above any feature registry, low enough to bound a request. */
export const MAX_FEATURES = 4_096;
const MAX_FEATURE_NAME = 128;
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export interface RankInput {
  /** Empty: the default model. */
  readonly model: string;
  /** Empty: the model's current version. */
  readonly modelVersion: string;
  readonly user: NamedVector | undefined;
  readonly candidates: NamedMatrix;
  readonly weights: Readonly<Partial<Record<ObjectiveName, number>>>;
}

const NO_CANDIDATES: NamedMatrix = { names: [], rows: 0, values: [] };

/** A FeatureVector as the generated code (number[]) or the packed codec (Float32Array) reads it. */
interface FeatureVectorMessage {
  readonly names: readonly string[];
  readonly values: ArrayLike<number>;
  readonly missing: Uint8Array;
}

interface FeatureMatrixMessage extends FeatureVectorMessage {
  readonly rows: number;
}

/** A RankRequest as `rankerv1.RankRequest` or the packed `PackedRankRequest` carries it. */
export interface RankRequestMessage {
  readonly model: string;
  readonly modelVersion: string;
  readonly user?: FeatureVectorMessage | undefined;
  readonly candidates?: FeatureMatrixMessage | undefined;
  readonly weights: readonly rankerv1.ObjectiveWeight[];
}

/**
 * Checks a RankRequest before anything is scored; throws InvalidArgumentError naming the
 * proto field. Feature values themselves are not checked here: a NaN or a value flagged
 * missing takes the model's default when scored.
 */
export function parseRankRequest(request: RankRequestMessage): RankInput {
  const model = optionalId(request.model, 'model');
  const modelVersion = optionalId(request.modelVersion, 'model_version');
  const user = request.user ? checkVector(request.user, 'user') : undefined;
  const candidates = request.candidates
    ? checkMatrix(request.candidates, 'candidates')
    : NO_CANDIDATES;
  return { model, modelVersion, user, candidates, weights: checkWeights(request.weights) };
}

function checkVector(vector: FeatureVectorMessage, field: string): NamedVector {
  checkNames(vector.names, `${field}.names`);
  if (vector.values.length !== vector.names.length) {
    throw new InvalidArgumentError(
      `${field}.values`,
      `must have one value per name (${vector.names.length}), got ${vector.values.length}`,
    );
  }
  checkMissing(vector.missing, vector.values.length, `${field}.missing`);
  return { names: vector.names, values: vector.values, missing: vector.missing };
}

function checkMatrix(matrix: FeatureMatrixMessage, field: string): NamedMatrix {
  if (matrix.rows > MAX_CANDIDATES) {
    throw new InvalidArgumentError(
      `${field}.rows`,
      `must be at most ${MAX_CANDIDATES}, got ${matrix.rows}`,
    );
  }
  checkNames(matrix.names, `${field}.names`);
  const expected = matrix.rows * matrix.names.length;
  if (matrix.values.length !== expected) {
    throw new InvalidArgumentError(
      `${field}.values`,
      `must have rows * names (${matrix.rows} * ${matrix.names.length} = ${expected}) values, got ${matrix.values.length}`,
    );
  }
  checkMissing(matrix.missing, expected, `${field}.missing`);
  return { names: matrix.names, rows: matrix.rows, values: matrix.values, missing: matrix.missing };
}

function checkNames(names: readonly string[], field: string): void {
  requireMaxItems(names, field, MAX_FEATURES);
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === '' || name.length > MAX_FEATURE_NAME) {
      throw new InvalidArgumentError(`${field}[${i}]`, `must be 1-${MAX_FEATURE_NAME} characters`);
    }
    // The scorer caches column layouts under the names joined by control characters: a name
    // holding one could alias another layout and be scored with its columns.
    if (CONTROL_CHARACTER.test(name)) {
      throw new InvalidArgumentError(`${field}[${i}]`, 'must not contain control characters');
    }
    if (seen.has(name)) throw new InvalidArgumentError(`${field}[${i}]`, `duplicate name ${name}`);
    seen.add(name);
  });
}

function checkMissing(missing: Uint8Array, values: number, field: string): void {
  const most = Math.ceil(values / 8);
  // Shorter is fine (the bits it lacks are clear); longer means it describes other values.
  if (missing.length > most) {
    throw new InvalidArgumentError(
      field,
      `must be at most ${most} bytes for ${values} values, got ${missing.length}`,
    );
  }
}

function checkWeights(
  weights: readonly rankerv1.ObjectiveWeight[],
): Partial<Record<ObjectiveName, number>> {
  const out: Partial<Record<ObjectiveName, number>> = {};
  weights.forEach((weight, i) => {
    requireEnum(weight.objective, rankerv1.Objective, `weights[${i}].objective`);
    const name = objectiveFromProto(weight.objective);
    if (name === undefined) {
      throw new InvalidArgumentError(
        `weights[${i}].objective`,
        `unknown value ${weight.objective}`,
      );
    }
    if (out[name] !== undefined) {
      throw new InvalidArgumentError(`weights[${i}].objective`, `duplicate objective ${name}`);
    }
    if (!Number.isFinite(weight.weight)) {
      throw new InvalidArgumentError(`weights[${i}].weight`, 'must be a finite number');
    }
    out[name] = weight.weight;
  });
  return out;
}
