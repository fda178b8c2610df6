import type { Interactions } from './interactions.js';
import type { Retriever } from './retriever.js';

export interface UserKnnOptions {
  /** Most similar users whose ratings vote. Default 80. */
  readonly neighbors?: number;
  /** Similarities are raised to this power before voting, sharpening toward the closest. */
  readonly exponent?: number;
}

/**
 * User-based nearest neighbours: cosine similarity of users' rated sets, and an item's score
 * the similarity-weighed count of the closest users who rated it. It looks at a user's whole
 * taste at once, where EASE and RP3beta sum item-to-item links, so its errors differ.
 */
export function userKnnRetriever(data: Interactions, options: UserKnnOptions = {}): Retriever {
  const neighbors = options.neighbors ?? 80;
  const exponent = options.exponent ?? 2;
  const users = data.history.length;
  const items = data.catalog.itemIds.length;
  const raters: number[][] = Array.from({ length: items }, () => []);
  data.history.forEach((history, u) => {
    for (const i of history) raters[i]!.push(u);
  });
  const overlap = new Float64Array(users);
  return {
    name: 'user-knn',
    scoreUser(user, out) {
      overlap.fill(0);
      const history = data.history[user] ?? new Int32Array(0);
      for (const i of history) for (const v of raters[i]!) overlap[v] = (overlap[v] as number) + 1;
      overlap[user] = 0;
      const similarity = Float64Array.from(overlap, (o, v) =>
        o === 0 ? 0 : o / Math.sqrt(history.length * (data.history[v]?.length ?? 1)),
      );
      const closest = Array.from({ length: users }, (_, v) => v)
        .filter((v) => (similarity[v] as number) > 0)
        .sort((a, b) => (similarity[b] as number) - (similarity[a] as number) || a - b)
        .slice(0, neighbors);
      out.fill(0);
      for (const v of closest) {
        const weight = (similarity[v] as number) ** exponent;
        for (const i of data.history[v]!) out[i] = (out[i] as number) + weight;
      }
    },
  };
}
