import assert from 'node:assert/strict';
import { trainEmbeddings, type EmbeddingArtifact } from '@feedmesh/embeddings';
import { EmbeddingIndex } from './embedding-index.js';

const TRAINED_AT = 1_000_000;

/** A seeded world of 400 users in ten taste groups over 300 posts, each group's 30 posts first. */
function histories(): Map<string, string[]> {
  let state = 11;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const byUser = new Map<string, string[]>();
  for (let k = 0; k < 8_000; k++) {
    const u = Math.floor(random() * 400);
    const item =
      random() < 0.8 ? Math.floor(random() * 30) + (u % 10) * 30 : Math.floor(random() * 300);
    const history = byUser.get(`u${u}`) ?? [];
    if (!history.includes(`p${item}`)) history.push(`p${item}`);
    byUser.set(`u${u}`, history);
  }
  return byUser;
}

function topPosts(artifact: EmbeddingArtifact, user: ArrayLike<number>, k = 20): Set<string> {
  const d = artifact.dim;
  const scored = artifact.items.ids.map((id, i) => {
    let score = 0;
    for (let j = 0; j < d; j++) score += user[j]! * artifact.items.vectors[i * d + j]!;
    return [score, id] as const;
  });
  scored.sort((a, b) => b[0] - a[0]);
  return new Set(scored.slice(0, k).map(([, id]) => id));
}

function userRow(artifact: EmbeddingArtifact, userId: string): Float32Array {
  const n = artifact.users.ids.indexOf(userId);
  return artifact.users.vectors.subarray(n * artifact.dim, (n + 1) * artifact.dim);
}

const overlap = (a: Set<string>, b: Set<string>) =>
  [...a].filter((id) => b.has(id)).length / a.size;

describe('EmbeddingIndex: a user who engaged since training', () => {
  it('is served a vector at least as close to a retrained model as the trained one', () => {
    const byUser = histories();
    // Each user's last engagement comes after training; a retrained model has seen it.
    const all = [...byUser].flatMap(([userId, posts]) =>
      posts.map((postId) => ({ userId, postId, weight: 1 })),
    );
    const seen = [...byUser].flatMap(([userId, posts]) =>
      posts.slice(0, -1).map((postId) => ({ userId, postId, weight: 1 })),
    );
    const settings = { trainedAtMs: TRAINED_AT, factors: 16, iterations: 15, ivf: false as const };
    const retrained = trainEmbeddings(all, [], settings);
    const trained = trainEmbeddings(seen, [], settings);
    const index = new EmbeddingIndex();
    index.load(trained);

    let stale = 0;
    let served = 0;
    let users = 0;
    for (const [userId, posts] of byUser) {
      if (posts.length < 5) continue;
      // Newest first; the last one after training.
      const recent = posts
        .map((id, k) => ({
          id,
          score: k === posts.length - 1 ? TRAINED_AT + 1 : TRAINED_AT - 1_000 + k,
        }))
        .reverse();
      const target = topPosts(retrained, userRow(retrained, userId));
      stale += overlap(topPosts(trained, userRow(trained, userId)), target);
      served += overlap(topPosts(trained, index.userVector(userId, recent)!), target);
      users += 1;
    }
    assert.ok(users > 300, `${users} users`);
    assert.ok(
      served >= stale,
      `top-20 overlap with the retrained model: served ${(served / users).toFixed(3)}, trained ${(stale / users).toFixed(3)}`,
    );
  });

  it('serves the trained vector itself when nothing was engaged since training', () => {
    const byUser = histories();
    const events = [...byUser].flatMap(([userId, posts]) =>
      posts.map((postId) => ({ userId, postId, weight: 1 })),
    );
    const trained = trainEmbeddings(events, [], {
      trainedAtMs: TRAINED_AT,
      factors: 8,
      iterations: 5,
      ivf: false,
    });
    const index = new EmbeddingIndex();
    index.load(trained);
    const recent = byUser.get('u1')!.map((id) => ({ id, score: TRAINED_AT - 1 }));
    assert.deepEqual(index.userVector('u1', recent), userRow(trained, 'u1'));
  });
});

describe('EmbeddingIndex: a post created after training', () => {
  it('gets a vector from engagers the model knows, however many it never saw came first', () => {
    const byUser = histories();
    const events = [...byUser].flatMap(([userId, posts]) =>
      posts.map((postId) => ({ userId, postId, weight: 1 })),
    );
    const index = new EmbeddingIndex();
    index.load(
      trainEmbeddings(events, [], {
        trainedAtMs: TRAINED_AT,
        factors: 8,
        iterations: 5,
        ivf: false,
      }),
    );
    // A new blog, a new tag: nothing to place the post by until a known user engages.
    index.postCreated('new', 'new-blog', ['new-tag']);
    for (let i = 0; i < 25; i++) index.engaged(`stranger${i}`, 'new');
    assert.equal(index.has('new'), false);
    index.engaged('u1', 'new', 3);
    assert.equal(index.has('new'), true);
  });
});
