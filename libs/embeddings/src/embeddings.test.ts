import assert from 'node:assert/strict';
import { testRedis, uniquePrefix } from '@feedmesh/testing';
import { decodeArtifact, encodeArtifact } from './embedding-artifact.js';
import {
  InMemoryEmbeddingStore,
  RedisEmbeddingStore,
  type EmbeddingStore,
} from './embedding-store.js';
import { foldIn } from './fold-in.js';
import { trainIvf } from './ivf-training.js';
import { seededUniform } from './seeded.js';
import { trainEmbeddings, type WeightedEngagement } from './train-embeddings.js';
import { VectorIndex } from './vector-index.js';

/** Two communities: users u0-u19 like posts a0-a29, users v0-v19 like posts b0-b29. */
function twoCommunities(): WeightedEngagement[] {
  const random = seededUniform(3);
  const out: WeightedEngagement[] = [];
  for (const [users, posts] of [
    ['u', 'a'],
    ['v', 'b'],
  ] as const) {
    for (let user = 0; user < 20; user++) {
      for (let post = 0; post < 30; post++) {
        if (random() < 0.4)
          out.push({ userId: `${users}${user}`, postId: `${posts}${post}`, weight: 1 });
      }
    }
  }
  return out;
}

const contents = Array.from({ length: 30 }, (_, n) => [
  { postId: `a${n}`, blogId: 'blog-a', tags: ['apples'] },
  { postId: `b${n}`, blogId: 'blog-b', tags: ['bikes'] },
]).flat();

function train() {
  return trainEmbeddings(twoCommunities(), contents, {
    trainedAtMs: 1,
    factors: 8,
    iterations: 10,
    regularization: 1,
    alpha: 10,
  });
}

describe('trainEmbeddings (implicit ALS)', () => {
  it('puts a user nearer the posts of their community than the other one', () => {
    const artifact = train();
    const index = new VectorIndex(artifact.dim);
    artifact.items.ids.forEach((id, n) =>
      index.upsert(id, artifact.items.vectors.subarray(n * 8, n * 8 + 8)),
    );
    const u = artifact.users.ids.indexOf('u3');
    const top = index.search(artifact.users.vectors.subarray(u * 8, u * 8 + 8), 20);
    assert.equal(top.filter((n) => n.id.startsWith('a')).length, 20);
  });

  it('gives tags and blogs the mean vector of their posts', () => {
    const artifact = train();
    assert.deepEqual([...artifact.tags.ids].sort(), ['apples', 'bikes']);
    assert.deepEqual([...artifact.blogs.ids].sort(), ['blog-a', 'blog-b']);
  });

  it('is deterministic for a seed', () => {
    assert.deepEqual(train().items.vectors, train().items.vectors);
  });
});

describe('foldIn', () => {
  it('places a new post from its first engagers next to their community’s posts', () => {
    const a = train();
    const d = a.dim;
    const vectorOf = (table: typeof a.users, id: string) => {
      const n = table.ids.indexOf(id);
      return table.vectors.subarray(n * d, (n + 1) * d);
    };
    const engagers = ['v1', 'v2', 'v5'].map((id) => vectorOf(a.users, id));
    const post = foldIn(d, {
      gram: a.userGram,
      regularization: a.regularization,
      alpha: a.alpha,
      vectors: engagers,
      weights: [1, 1, 1],
      prior: vectorOf(a.tags, 'bikes'),
    })!;
    const index = new VectorIndex(d);
    a.users.ids.forEach((id, n) => index.upsert(id, a.users.vectors.subarray(n * d, (n + 1) * d)));
    const fans = index.search(post, 10);
    assert.ok(
      fans.every((n) => n.id.startsWith('v')),
      fans.map((n) => n.id).join(),
    );
  });

  it('refuses vectors, a prior or a Gram matrix of another dimension, naming the part', () => {
    const options = {
      gram: new Float64Array(9),
      regularization: 1,
      alpha: 1,
      vectors: [[1, 0, 0]],
      weights: [1],
    };
    assert.throws(
      () =>
        foldIn(3, {
          ...options,
          vectors: [
            [1, 0, 0],
            [1, 0],
          ],
        }),
      /vectors\[1\]/,
    );
    assert.throws(() => foldIn(3, { ...options, prior: [1, 0] }), /prior/);
    assert.throws(() => foldIn(3, { ...options, gram: new Float64Array(4) }), /gram/);
    assert.ok(foldIn(3, options));
  });

  it('answers nothing without evidence or prior', () => {
    assert.equal(
      foldIn(2, {
        gram: new Float64Array(4),
        regularization: 1,
        alpha: 1,
        vectors: [],
        weights: [],
      }),
      undefined,
    );
  });
});

describe('VectorIndex', () => {
  it('finds what a brute-force scan finds, with the same scores, on random data', () => {
    const d = 12;
    const random = seededUniform(21);
    const vectors = Array.from({ length: 500 }, () =>
      Float32Array.from({ length: d }, () => random() - 0.5),
    );
    const index = new VectorIndex(d);
    vectors.forEach((v, i) => index.upsert(`p${i}`, v));
    for (let i = 0; i < 100; i += 3) index.remove(`p${i}`);
    for (let q = 0; q < 10; q++) {
      const query = Float32Array.from({ length: d }, () => random() - 0.5);
      const truth = vectors
        .map((v, i) => ({ id: `p${i}`, score: v.reduce((sum, x, k) => sum + x * query[k]!, 0) }))
        .filter((_, i) => !(i < 100 && i % 3 === 0))
        .sort((a, b) => b.score - a.score)
        .slice(0, 25);
      const found = index.search(query, 25);
      assert.deepEqual(
        found.map((h) => h.id),
        truth.map((h) => h.id),
      );
      found.forEach((h, n) => assert.ok(Math.abs(h.score - truth[n]!.score) < 1e-5));
    }
  });

  it('refuses a vector or a query of another dimension, naming it', () => {
    const index = new VectorIndex(3);
    index.upsert('x', [1, 0, 0]);
    assert.throws(() => index.upsert('y', [1, 0]), /vector: must hold 3 numbers, not 2/);
    assert.throws(() => index.upsert('y', [1, 0, 0, 1]), /vector: must hold 3 numbers, not 4/);
    assert.throws(() => index.search([1, 0], 5), /query: must hold 3 numbers, not 2/);
    assert.equal(index.has('y'), false);
    assert.equal(index.size, 1);
    assert.deepEqual(index.get('x'), Float32Array.from([1, 0, 0]));
  });

  it('finds with inverted lists about what an exact scan finds', () => {
    const d = 16;
    const n = 4_000;
    const random = seededUniform(11);
    const vectors = new Float32Array(n * d).map(() => random() - 0.5);
    const layout = trainIvf(vectors, d, { lists: 32, seed: 1 });
    const exact = new VectorIndex(d);
    const ivf = new VectorIndex(d, { centroids: layout.centroids, probe: 8, exactBelow: 0 });
    for (let i = 0; i < n; i++) {
      const v = vectors.subarray(i * d, (i + 1) * d);
      exact.upsert(`p${i}`, v);
      ivf.upsert(`p${i}`, v, layout.assignment[i]);
    }
    let found = 0;
    for (let q = 0; q < 20; q++) {
      const query = Float32Array.from({ length: d }, () => random() - 0.5);
      const truth = new Set(exact.search(query, 50).map((h) => h.id));
      found += ivf.search(query, 50).filter((h) => truth.has(h.id)).length;
    }
    assert.ok(found / (20 * 50) > 0.6, `recall ${found / 1000}`);
  });

  it('skips removed and excluded vectors, and takes a new one without rebuilding', () => {
    const index = new VectorIndex(2);
    index.upsert('x', [1, 0]);
    index.upsert('y', [0.9, 0]);
    index.upsert('z', [0, 1]);
    index.remove('x');
    assert.deepEqual(
      index.search([1, 0], 2, (id) => id === 'z').map((h) => h.id),
      ['y'],
    );
    index.upsert('w', [2, 0]);
    assert.equal(index.search([1, 0], 1)[0]!.id, 'w');
    assert.equal(index.size, 3);
  });

  it('gives back the room of removed and moved vectors: churn does not grow it', () => {
    const d = 8;
    const random = seededUniform(5);
    const vector = () => Float32Array.from({ length: d }, () => random() - 0.5);
    const centroids = new Float32Array(4 * d).map(() => random() - 0.5);
    const index = new VectorIndex(d, { centroids, exactBelow: 0, probe: 4 });
    const live = new Map<string, Float32Array>();
    const put = (id: string) => {
      const v = vector();
      index.upsert(id, v);
      live.set(id, v);
    };
    for (let i = 0; i < 200; i++) put(`p${i}`);
    const filled = index.bytes;
    // A day of serving: new posts folded in, refolded as engagement arrives, old ones deleted.
    for (let round = 1; round <= 50; round++) {
      for (let i = 0; i < 200; i += 2) put(`p${i}`);
      for (let i = 0; i < 100; i++) {
        const id = `r${round - 1}-${i}`;
        index.remove(id);
        live.delete(id);
        put(`r${round}-${i}`);
      }
    }
    assert.equal(index.size, live.size);
    assert.ok(index.bytes <= 3 * filled, `${index.bytes} bytes, ${filled} when filled`);
    const query = vector();
    const truth = [...live]
      .map(([id, v]) => ({ id, score: v.reduce((sum, x, k) => sum + x * query[k]!, 0) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 30);
    const found = index.search(query, 30);
    assert.deepEqual(
      found.map((h) => h.id),
      truth.map((h) => h.id),
    );
    found.forEach((h, n) => assert.ok(Math.abs(h.score - truth[n]!.score) < 1e-5));
    assert.equal(index.has('r49-5'), false);
    assert.deepEqual(index.get('r50-5'), live.get('r50-5'));
  });
});

for (const kind of ['in memory', 'Redis'] as const) {
  describe(`EmbeddingStore (${kind})`, () => {
    let store: EmbeddingStore;
    let cleanup: () => Promise<void> = async () => undefined;
    beforeEach(() => {
      if (kind === 'in memory') {
        store = new InMemoryEmbeddingStore();
      } else {
        const prefix = uniquePrefix('embeddings');
        const redis = testRedis(prefix);
        store = new RedisEmbeddingStore({ redis, keyPrefix: prefix, keep: 1 });
        cleanup = () => redis.cleanup();
      }
    });
    afterEach(() => cleanup());

    it('serves the latest complete version, vectors intact', async () => {
      assert.equal(await store.current(), undefined);
      const artifact = train();
      await store.publish(artifact, 5);
      const second = await store.publish({ ...artifact, trainedAtMs: 2 }, 6);
      assert.equal(second.version, 'v2');
      const current = await store.current();
      assert.deepEqual(current, second);
      const loaded = await store.load(second.version);
      assert.deepEqual(loaded?.items.vectors, artifact.items.vectors);
      assert.deepEqual(loaded?.users.ids, artifact.users.ids);
      assert.equal(loaded?.trainedAtMs, 2);
      if (kind === 'Redis') assert.equal(await store.load('v1'), undefined, 'v1 pruned');
    });
  });
}

describe('artifact encoding', () => {
  it('rejects a truncated artifact as invalid, not with a RangeError', () => {
    const bytes = encodeArtifact(train());
    for (const length of [0, 10, 200, bytes.length - 100, bytes.length - 1]) {
      assert.throws(
        () => decodeArtifact(bytes.subarray(0, length)),
        (error: Error) => error.name === 'InvalidArgumentError' && /truncated/.test(error.message),
        `${length} of ${bytes.length} bytes`,
      );
    }
  });

  it('round-trips and rejects a broken artifact naming the part', () => {
    const artifact = train();
    const decoded = decodeArtifact(encodeArtifact(artifact));
    assert.deepEqual(decoded.userGram, artifact.userGram);
    assert.throws(
      () => encodeArtifact({ ...artifact, dim: 7 }),
      /users\.vectors: must hold 40 × 7 numbers/,
    );
  });
});
