import { TopK, type ItemNeighbours } from '@feedmesh/embeddings';
import type { Scored } from './candidate-store.js';

/**
 * The served half of the related source: the trainer's item-to-item model (session EASE,
 * shipped in the embeddings artifact) as compressed rows, and a scratch score array reused by
 * every request (a source's synchronous part runs to its end before another request's).
 */
export class RelatedIndex {
  private model: ItemNeighbours | undefined;
  private slots = new Map<string, number>();
  private scores = new Float64Array(0);
  private touched = new Int32Array(0);
  private reachedMark = new Uint8Array(0);

  /** Whether a model is loaded. */
  get loaded(): boolean {
    return this.model !== undefined;
  }

  get stats() {
    return {
      posts: this.model?.ids.length ?? 0,
      entries: this.model?.targets.length ?? 0,
    };
  }

  /** Serves `model` from now on; undefined (an artifact without one) serves nothing. */
  load(model: ItemNeighbours | undefined): void {
    this.model = model;
    this.slots = new Map(model?.ids.map((id, i) => [id, i]) ?? []);
    this.scores = new Float64Array(model?.ids.length ?? 0);
    this.touched = new Int32Array(model?.ids.length ?? 0);
    this.reachedMark = new Uint8Array(model?.ids.length ?? 0);
  }

  /**
   * The `limit` posts with the largest summed weight from `seeds` (weights may be negative:
   * a post some seeds speak against ranks lower), skipping the seeds and whatever `skip`
   * says, best first.
   */
  related(seeds: readonly string[], limit: number, skip: (postId: string) => boolean): Scored[] {
    const model = this.model;
    if (!model || limit <= 0) return [];
    const { offsets, targets, weights, ids } = model;
    const { scores, touched, reachedMark } = this;
    const seedSlots = new Set<number>();
    let reached = 0;
    for (const seed of seeds) {
      const i = this.slots.get(seed);
      if (i === undefined || seedSlots.has(i)) continue;
      seedSlots.add(i);
      for (let k = offsets[i]!; k < offsets[i + 1]!; k++) {
        const j = targets[k]!;
        if (reachedMark[j] === 0) {
          reachedMark[j] = 1;
          touched[reached++] = j;
        }
        scores[j]! += weights[k]!;
      }
    }
    const top = new TopK(limit);
    for (let n = 0; n < reached; n++) {
      const j = touched[n]!;
      const score = scores[j]!;
      scores[j] = 0;
      reachedMark[j] = 0;
      if (score <= top.threshold || seedSlots.has(j) || skip(ids[j]!)) continue;
      top.offer(score, j);
    }
    return top.sorted().map(({ slot, score }) => ({ id: ids[slot]!, score }));
  }
}
