import type { Interactions } from './interactions.js';
import type { Retriever } from './retriever.js';

/** Most rated first: the cold-start list and the floor every method must beat. */
export function popularityRetriever(data: Interactions): Retriever {
  const scores = Float32Array.from(data.itemCounts);
  return {
    name: 'popularity',
    scoreUser(_user, out) {
      out.set(scores);
    },
  };
}
