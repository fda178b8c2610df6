import assert from 'node:assert/strict';
import { decodeArtifact, encodeArtifact } from './embedding-artifact.js';
import { trainSessionEase, type TimedEngagement } from './item-neighbours.js';
import { invertSymmetricPositiveDefinite } from './spd-inverse.js';
import { trainEmbeddings } from './train-embeddings.js';

/** Ten users engage with p0, p1, ..., p(n-1) in that order, a minute apart. */
function chain(n: number, users = 10): TimedEngagement[] {
  const out: TimedEngagement[] = [];
  for (let u = 0; u < users; u++) {
    for (let p = 0; p < n; p++) out.push({ userId: `u${u}`, postId: `p${p}`, atMs: p * 60_000 });
  }
  return out;
}

function neighboursOf(model: ReturnType<typeof trainSessionEase>, postId: string): string[] {
  const i = model.ids.indexOf(postId);
  return [...model.targets.subarray(model.offsets[i]!, model.offsets[i + 1]!)].map(
    (j) => model.ids[j]!,
  );
}

function weightOf(model: ReturnType<typeof trainSessionEase>, from: string, to: string): number {
  const i = model.ids.indexOf(from);
  for (let k = model.offsets[i]!; k < model.offsets[i + 1]!; k++) {
    if (model.ids[model.targets[k]!] === to) return model.weights[k]!;
  }
  return 0;
}

describe('trainSessionEase (EASE on session co-occurrence)', () => {
  it('relates a post most to the ones engaged right before and after it', () => {
    const model = trainSessionEase(chain(8), { window: 1, regularization: 50 });
    assert.deepEqual(neighboursOf(model, 'p3').slice(0, 2).sort(), ['p2', 'p4']);
    assert.ok(!neighboursOf(model, 'p3').includes('p3'), 'never a post to itself');
  });

  it('weighs posts engaged far apart less than neighbours in the sequence', () => {
    const model = trainSessionEase(chain(8), { window: 1, regularization: 50 });
    assert.ok(Math.abs(weightOf(model, 'p3', 'p7')) < weightOf(model, 'p3', 'p4') / 10);
  });

  it('keeps posts with enough engagers, the most engaged first, up to maxItems', () => {
    const engagements = [
      ...chain(4),
      { userId: 'u0', postId: 'rare', atMs: 10 * 60_000 },
      { userId: 'u1', postId: 'pair', atMs: 10 * 60_000 },
      { userId: 'u2', postId: 'pair', atMs: 10 * 60_000 },
    ];
    assert.deepEqual([...trainSessionEase(engagements, { minEngagers: 2 }).ids].sort(), [
      'p0',
      'p1',
      'p2',
      'p3',
      'pair',
    ]);
    assert.equal(trainSessionEase(engagements, { maxItems: 4 }).ids.includes('pair'), false);
  });

  it('keeps at most `neighbours` targets per post, largest weights first, negative ones too', () => {
    const model = trainSessionEase(chain(12), { window: 1, regularization: 50, neighbours: 3 });
    for (let i = 0; i < model.ids.length; i++) {
      const weights = [...model.weights.subarray(model.offsets[i]!, model.offsets[i + 1]!)];
      assert.ok(weights.length <= 3);
      assert.deepEqual(
        weights.map(Math.abs),
        weights.map(Math.abs).sort((x, y) => y - x),
      );
    }
    // Two places apart in a chain, the regression speaks against the post (it is explained
    // by the one in between).
    assert.ok(weightOf(model, 'p3', 'p1') < 0);
  });

  it('raises λ until the session matrix can be inverted, and says so', () => {
    const report: { regularization?: number } = {};
    trainSessionEase(chain(8), { window: 1, regularization: 5 }, report);
    assert.ok(report.regularization! > 1, `λ stayed ${report.regularization}`);
  });
});

describe('invertSymmetricPositiveDefinite', () => {
  it('returns A⁻¹, so A·A⁻¹ is the identity', () => {
    const a = Float64Array.from([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]);
    const inverse = invertSymmetricPositiveDefinite(Float64Array.from(a), 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let sum = 0;
        for (let k = 0; k < 3; k++) sum += a[i * 3 + k]! * inverse[k * 3 + j]!;
        assert.ok(Math.abs(sum - (i === j ? 1 : 0)) < 1e-12, `(${i}, ${j}) is ${sum}`);
      }
    }
  });
});

describe('the embeddings artifact with an item-to-item model', () => {
  const engagements = chain(6).map((e) => ({ ...e, weight: 1 }));
  const options = { trainedAtMs: 1, factors: 2, iterations: 2, regularization: 1, alpha: 1 };

  it('carries the model through encoding', () => {
    const artifact = trainEmbeddings(engagements, [], { ...options, neighbours: { window: 2 } });
    assert.ok(artifact.neighbours);
    const decoded = decodeArtifact(encodeArtifact(artifact));
    assert.deepEqual(decoded.neighbours?.ids, artifact.neighbours.ids);
    assert.deepEqual([...decoded.neighbours!.targets], [...artifact.neighbours.targets]);
    assert.deepEqual([...decoded.neighbours!.weights], [...artifact.neighbours.weights]);
    assert.deepEqual(decoded.items.vectors, artifact.items.vectors);
  });

  it('has none unless asked for', () => {
    const artifact = trainEmbeddings(engagements, [], options);
    assert.equal(artifact.neighbours, undefined);
    assert.equal(decodeArtifact(encodeArtifact(artifact)).neighbours, undefined);
  });
});
