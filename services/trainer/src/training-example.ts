import type { ObjectiveName } from '@feedmesh/models';

/** One (user, post) pair to learn from, before its features are fetched. */
export interface TrainingExample {
  readonly userId: string;
  readonly postId: string;
  /** When the user met the post: the impression, or the first engagement; orders the split. */
  readonly atMs: number;
  /**
   * Point-in-time features are read as of this instant instead, when earlier than `atMs`: an
   * engagement credited to the impression was stamped before it (a client clock running slow),
   * and features as of the impression would already count it.
   */
  readonly featuresAtMs?: number;
  readonly labels: Readonly<Record<ObjectiveName, 0 | 1>>;
  /**
   * The feature values served with the impression (user then post, in the schema's order),
   * when the gateway logged them: what the ranker saw, so no refetch and no leakage. `missing`
   * flags the values that were missing (a bitset over them; empty or absent when none was).
   */
  readonly served?: {
    readonly schema: string;
    readonly values: readonly number[];
    readonly missing?: Uint8Array;
  };
}

export const NO_LABELS: Readonly<Record<ObjectiveName, 0 | 1>> = Object.freeze({
  like: 0,
  reblog: 0,
  reply: 0,
  follow: 0,
  hide: 0,
});
