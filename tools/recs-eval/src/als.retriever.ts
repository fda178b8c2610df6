import { buildInteractions, trainImplicitAls, type ImplicitAlsOptions } from '@feedmesh/embeddings';
import type { Interactions } from './interactions.js';
import type { Retriever } from './retriever.js';

export interface AlsSettings extends ImplicitAlsOptions {
  readonly seed?: number;
}

/**
 * Implicit ALS (the embeddings candidate source's trainer) on who rated what, every rating
 * weighing one: a low-rank view of taste that EASE's item-item weights do not share.
 */
export function alsRetriever(data: Interactions, settings: AlsSettings = {}): Retriever {
  const users = data.catalog.userIds.length;
  const items = data.catalog.itemIds.length;
  const pairs = data.history.reduce((sum, h) => sum + h.length, 0);
  const user = new Int32Array(pairs);
  const item = new Int32Array(pairs);
  let at = 0;
  data.history.forEach((history, u) => {
    for (const i of history) {
      user[at] = u;
      item[at] = i;
      at += 1;
    }
  });
  const model = trainImplicitAls(
    buildInteractions(users, items, { user, item, weight: new Float32Array(pairs).fill(1) }),
    settings,
  );
  const d = model.factors;
  return {
    name: 'als',
    scoreUser(u, out) {
      const x = model.userVectors.subarray(u * d, (u + 1) * d);
      for (let i = 0; i < items; i += 1) {
        let s = 0;
        for (let f = 0; f < d; f += 1)
          s += (x[f] as number) * (model.itemVectors[i * d + f] as number);
        out[i] = data.itemCounts[i] === 0 ? Number.NEGATIVE_INFINITY : s;
      }
    },
  };
}
