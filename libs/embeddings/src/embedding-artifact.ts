import { InvalidArgumentError } from '@feedmesh/errors';
import { checkNeighbours, type ItemNeighbours } from './item-neighbours.js';

export const EMBEDDINGS_FORMAT = 'feedmesh.embeddings/v1';

/** Vectors by id: row i of `vectors` (ids.length × dim) belongs to ids[i]. */
export interface VectorTable {
  readonly ids: readonly string[];
  readonly vectors: Float32Array;
}

/**
 * What the trainer hands candidate generation: one trained model of user and post vectors,
 * with what serving needs to extend it without retraining. Every part is derived from the
 * event log by the trainer; candidate generation never reads the trainer's keys, only this.
 */
export interface EmbeddingArtifact {
  readonly format: typeof EMBEDDINGS_FORMAT;
  readonly dim: number;
  /** The newest event the training data includes, ms since the epoch. */
  readonly trainedAtMs: number;
  /** λ and alpha of the training, which fold-in must use too. */
  readonly regularization: number;
  readonly alpha: number;
  readonly users: VectorTable;
  /** Posts. */
  readonly items: VectorTable;
  /** Per tag and per blog, the mean vector of their trained posts: a new post's first vector. */
  readonly tags: VectorTable;
  readonly blogs: VectorTable;
  /** XᵀX over users (folds in a post from its engagers) and YᵀY over posts (folds in a user). */
  readonly userGram: Float64Array;
  readonly itemGram: Float64Array;
  /** Inverted-file layout of `items`: unit centroids and each item's list. */
  readonly ivf?: { readonly centroids: Float32Array; readonly assignment: Int32Array };
  /** An item-to-item model trained on the same engagements (session EASE), when asked for. */
  readonly neighbours?: ItemNeighbours;
  readonly metrics: Readonly<Record<string, number>>;
  readonly notes: Readonly<Record<string, string>>;
}

interface Header {
  format: string;
  dim: number;
  trainedAtMs: number;
  regularization: number;
  alpha: number;
  users: string[];
  items: string[];
  tags: string[];
  blogs: string[];
  ivfLists: number;
  /**
   * Byte lengths of the sections after the fixed ones (neighbour offsets, targets, weights),
   * listed here rather than in the fixed table so that older readers still decode the rest.
   */
  extra?: number[];
  neighbourIds?: string[];
  metrics: Record<string, number>;
  notes: Record<string, string>;
}

const SECTIONS = [
  'users',
  'items',
  'tags',
  'blogs',
  'userGram',
  'itemGram',
  'ivfCentroids',
  'ivfAssignment',
] as const;

/** One binary blob: a 4-byte header length, the JSON header, then the numeric sections. */
export function encodeArtifact(artifact: EmbeddingArtifact): Buffer {
  checkArtifact(artifact);
  const header: Header = {
    format: artifact.format,
    dim: artifact.dim,
    trainedAtMs: artifact.trainedAtMs,
    regularization: artifact.regularization,
    alpha: artifact.alpha,
    users: [...artifact.users.ids],
    items: [...artifact.items.ids],
    tags: [...artifact.tags.ids],
    blogs: [...artifact.blogs.ids],
    ivfLists: artifact.ivf ? artifact.ivf.centroids.length / artifact.dim : 0,
    ...(artifact.neighbours
      ? {
          extra: [
            artifact.neighbours.offsets.byteLength,
            artifact.neighbours.targets.byteLength,
            artifact.neighbours.weights.byteLength,
          ],
          neighbourIds: [...artifact.neighbours.ids],
        }
      : {}),
    metrics: { ...artifact.metrics },
    notes: { ...artifact.notes },
  };
  const json = Buffer.from(JSON.stringify(header));
  const parts: ArrayBufferView[] = [
    artifact.users.vectors,
    artifact.items.vectors,
    artifact.tags.vectors,
    artifact.blogs.vectors,
    artifact.userGram,
    artifact.itemGram,
    artifact.ivf?.centroids ?? new Float32Array(0),
    artifact.ivf?.assignment ?? new Int32Array(0),
    ...(artifact.neighbours
      ? [artifact.neighbours.offsets, artifact.neighbours.targets, artifact.neighbours.weights]
      : []),
  ];
  const lengths = Buffer.alloc(4 + SECTIONS.length * 4);
  lengths.writeUInt32LE(json.length, 0);
  parts
    .slice(0, SECTIONS.length)
    .forEach((part, i) => lengths.writeUInt32LE(part.byteLength, 4 + i * 4));
  // Sections start 8-byte aligned, so decoding can view them without copying.
  const chunks: Buffer[] = [lengths, json];
  let size = lengths.length + json.length;
  for (const part of parts) {
    const pad = (8 - (size % 8)) % 8;
    chunks.push(Buffer.alloc(pad));
    chunks.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
    size += pad + part.byteLength;
  }
  return Buffer.concat(chunks, size);
}

export function decodeArtifact(bytes: Buffer): EmbeddingArtifact {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const view = Buffer.from(copy.buffer);
  let offset = 4 + SECTIONS.length * 4;
  if (view.length < offset) throw truncated(view.length, offset);
  const headerLength = view.readUInt32LE(0);
  const sectionLengths = SECTIONS.map((_, i) => view.readUInt32LE(4 + i * 4));
  if (view.length < offset + headerLength) throw truncated(view.length, offset + headerLength);
  let header: Header;
  try {
    header = JSON.parse(view.toString('utf8', offset, offset + headerLength)) as Header;
  } catch {
    throw new InvalidArgumentError('header', 'is not JSON');
  }
  offset += headerLength;
  const extra: unknown = header.extra ?? [];
  if (
    !Array.isArray(extra) ||
    !extra.every((length) => Number.isSafeInteger(length) && length >= 0)
  ) {
    throw new InvalidArgumentError('header.extra', 'must list section byte lengths');
  }
  const sections = [...sectionLengths, ...(extra as number[])].map((length, i) => {
    offset += (8 - (offset % 8)) % 8;
    const at = offset;
    offset += length;
    if (length % (i === 4 || i === 5 ? 8 : 4) !== 0) {
      throw new InvalidArgumentError(`sections[${i}]`, `${length} bytes is not whole numbers`);
    }
    return { at, length };
  });
  if (offset > view.length) throw truncated(view.length, offset);
  const f32 = (i: number) =>
    new Float32Array(copy.buffer, sections[i]!.at, sections[i]!.length / 4);
  const f64 = (i: number) =>
    new Float64Array(copy.buffer, sections[i]!.at, sections[i]!.length / 8);
  const ivfCentroids = f32(6);
  const i32 = (i: number) => new Int32Array(copy.buffer, sections[i]!.at, sections[i]!.length / 4);
  const artifact: EmbeddingArtifact = {
    format: header.format as typeof EMBEDDINGS_FORMAT,
    dim: header.dim,
    trainedAtMs: header.trainedAtMs,
    regularization: header.regularization,
    alpha: header.alpha,
    users: { ids: header.users, vectors: f32(0) },
    items: { ids: header.items, vectors: f32(1) },
    tags: { ids: header.tags, vectors: f32(2) },
    blogs: { ids: header.blogs, vectors: f32(3) },
    userGram: f64(4),
    itemGram: f64(5),
    ...(ivfCentroids.length > 0
      ? {
          ivf: {
            centroids: ivfCentroids,
            assignment: i32(7),
          },
        }
      : {}),
    ...(header.neighbourIds && (header.extra?.length ?? 0) >= 3
      ? {
          neighbours: {
            ids: header.neighbourIds,
            offsets: i32(SECTIONS.length),
            targets: i32(SECTIONS.length + 1),
            weights: f32(SECTIONS.length + 2),
          },
        }
      : {}),
    metrics: header.metrics ?? {},
    notes: header.notes ?? {},
  };
  checkArtifact(artifact);
  return artifact;
}

function truncated(length: number, needed: number): InvalidArgumentError {
  return new InvalidArgumentError(
    'bytes',
    `truncated: ${length} bytes, the artifact needs ${needed}`,
  );
}

/** Throws InvalidArgumentError naming the first inconsistent part. */
export function checkArtifact(a: EmbeddingArtifact): void {
  if (a.format !== EMBEDDINGS_FORMAT) {
    throw new InvalidArgumentError('format', `must be ${EMBEDDINGS_FORMAT}`);
  }
  if (!Number.isInteger(a.dim) || a.dim < 1 || a.dim > 1024) {
    throw new InvalidArgumentError('dim', 'must be an integer in 1-1024');
  }
  for (const name of ['users', 'items', 'tags', 'blogs'] as const) {
    const table = a[name];
    if (table.vectors.length !== table.ids.length * a.dim) {
      throw new InvalidArgumentError(
        `${name}.vectors`,
        `must hold ${table.ids.length} × ${a.dim} numbers`,
      );
    }
    for (let i = 0; i < table.vectors.length; i++) {
      if (!Number.isFinite(table.vectors[i]!)) {
        throw new InvalidArgumentError(
          `${name}.vectors[${Math.floor(i / a.dim)}]`,
          'must be finite',
        );
      }
    }
  }
  for (const name of ['userGram', 'itemGram'] as const) {
    if (a[name].length !== a.dim * a.dim) {
      throw new InvalidArgumentError(name, `must hold ${a.dim} × ${a.dim} numbers`);
    }
  }
  if (a.ivf) {
    if (a.ivf.centroids.length % a.dim !== 0) {
      throw new InvalidArgumentError('ivf.centroids', `must hold lists × ${a.dim} numbers`);
    }
    if (a.ivf.assignment.length !== a.items.ids.length) {
      throw new InvalidArgumentError('ivf.assignment', 'must give every item a list');
    }
    const lists = a.ivf.centroids.length / a.dim;
    if (a.ivf.assignment.some((list) => list < 0 || list >= lists)) {
      throw new InvalidArgumentError('ivf.assignment', `lists must be in 0-${lists - 1}`);
    }
  }
  if (a.neighbours) checkNeighbours(a.neighbours);
  if (!(a.regularization >= 0) || !(a.alpha >= 0)) {
    throw new InvalidArgumentError('regularization', 'λ and alpha must be non-negative');
  }
}
