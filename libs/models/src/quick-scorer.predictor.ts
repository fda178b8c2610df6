import type { RegressionTree, TreeEnsembleModelDocument } from './model-document.js';
import type { ObjectiveName } from './objectives.js';
import { sigmoid, type Predictor } from './predictor.js';

/** A 32-bit mask holds one bit per leaf. */
export const QUICK_SCORER_MAX_LEAVES = 32;

/** Whether every tree of the model fits QuickScorer's one-word leaf masks. */
export function fitsQuickScorer(model: TreeEnsembleModelDocument): boolean {
  return model.objectives.every((o) =>
    o.trees.every((t) => t.feature.filter((f) => f === -1).length <= QUICK_SCORER_MAX_LEAVES),
  );
}

/**
 * QuickScorer (Lucchese et al., SIGIR 2015): no tree is walked. Each tree keeps a bitmask of
 * the leaves still reachable, leftmost leaf in the lowest bit. An inner node whose test sends
 * the row right rules out the leaves of its left subtree, so for each feature the nodes are
 * visited in ascending threshold order, clearing their masks, until a threshold exceeds the
 * row's value; the exit leaf is then the lowest bit left. The work is a run of predictable
 * AND operations in place of a mispredicted branch per node.
 *
 * A missing input (NaN) sends a node to its learned side: only the nodes sending it right
 * clear their left leaves (a node sending it left rules out nothing left of the exit leaf).
 */
export class QuickScorerPredictor implements Predictor {
  readonly objectives: readonly ObjectiveName[];
  private readonly width: number;
  private readonly float32Inputs: boolean;
  /** Per feature f, its inner nodes in [nodeStart[f], nodeStart[f + 1]), by threshold. */
  private readonly nodeStart: Int32Array;
  private readonly threshold: Float64Array;
  private readonly nodeTree: Int32Array;
  private readonly nodeMask: Int32Array;
  /** Per feature, the nodes that send a missing input right: [missingStart[f], ...). */
  private readonly missingStart: Int32Array;
  private readonly missingTree: Int32Array;
  private readonly missingMask: Int32Array;
  /** Per tree, its objective and its leaves' values from leafStart[t], left to right. */
  private readonly treeObjective: Int32Array;
  private readonly leafStart: Int32Array;
  private readonly leafValue: Float64Array;
  private readonly baseMargin: Float64Array;
  private readonly slope: Float64Array;
  private readonly intercept: Float64Array;

  constructor(model: TreeEnsembleModelDocument) {
    this.objectives = model.objectives.map((o) => o.objective);
    this.width = model.features.length;
    this.float32Inputs = model.float32Inputs === true;
    this.baseMargin = Float64Array.from(model.objectives, (o) => o.baseMargin);
    this.slope = Float64Array.from(model.objectives, (o) => o.calibration?.slope ?? 1);
    this.intercept = Float64Array.from(model.objectives, (o) => o.calibration?.intercept ?? 0);

    // XGBoost keeps thresholds as 32-bit floats: its JSON's shortest decimal for one (0.7 for
    // 0.699999988f) may lie above it, and an input on the threshold must still go right.
    const thresholdOf = this.float32Inputs ? Math.fround : (x: number) => x;
    const nodes: { feature: number; threshold: number; tree: number; mask: number }[] = [];
    const missing: { feature: number; tree: number; mask: number }[] = [];
    const treeObjective: number[] = [];
    const leafStart: number[] = [];
    const leafValue: number[] = [];
    model.objectives.forEach((objective, o) => {
      for (const tree of objective.trees) {
        const t = treeObjective.length;
        treeObjective.push(o);
        leafStart.push(leafValue.length);
        const leaves = numberLeaves(tree);
        for (let l = 0; l < leaves.count; l += 1) leafValue.push(0);
        for (let n = 0; n < tree.feature.length; n += 1) {
          // A node no path reaches (a pruned model's deleted nodes) takes no bit and no slot.
          if (leaves.span[n] === undefined) continue;
          const f = tree.feature[n] as number;
          if (f === -1) {
            leafValue[(leafStart[t] as number) + (leaves.index[n] as number)] = tree.value[n]!;
            continue;
          }
          // The leaves of the left subtree are a contiguous run of bits.
          const [first, last] = leaves.span[tree.left[n] as number]!;
          const run = last - first + 1;
          const bits = run === 32 ? -1 : ((1 << run) - 1) << first;
          const mask = ~bits;
          nodes.push({ feature: f, threshold: thresholdOf(tree.threshold[n]!), tree: t, mask });
          if (tree.missingLeft[n] !== 1) missing.push({ feature: f, tree: t, mask });
        }
      }
    });
    nodes.sort((a, b) => a.feature - b.feature || a.threshold - b.threshold);
    missing.sort((a, b) => a.feature - b.feature);
    this.nodeStart = startsOf(nodes, this.width);
    this.threshold = Float64Array.from(nodes, (n) => n.threshold);
    this.nodeTree = Int32Array.from(nodes, (n) => n.tree);
    this.nodeMask = Int32Array.from(nodes, (n) => n.mask);
    this.missingStart = startsOf(missing, this.width);
    this.missingTree = Int32Array.from(missing, (n) => n.tree);
    this.missingMask = Int32Array.from(missing, (n) => n.mask);
    this.treeObjective = Int32Array.from(treeObjective);
    this.leafStart = Int32Array.from(leafStart);
    this.leafValue = Float64Array.from(leafValue);
  }

  predictRows(inputs: Float64Array, rows: number, out: Float32Array): void {
    const { width, threshold, nodeTree, nodeMask, nodeStart, missingStart } = this;
    const { missingTree, missingMask, treeObjective, leafStart, leafValue } = this;
    const trees = treeObjective.length;
    const objectives = this.objectives.length;
    const float32 = this.float32Inputs;
    const reachable = new Int32Array(trees);
    const margins = new Float64Array(objectives);
    for (let r = 0; r < rows; r += 1) {
      reachable.fill(-1);
      const base = r * width;
      for (let f = 0; f < width; f += 1) {
        const raw = inputs[base + f] as number;
        // Trained on float32 values: compare as float32, as the trainer did.
        const x = float32 ? Math.fround(raw) : raw;
        if (Number.isNaN(x)) {
          const to = missingStart[f + 1] as number;
          for (let k = missingStart[f] as number; k < to; k += 1) {
            const t = missingTree[k] as number;
            reachable[t] = (reachable[t] as number) & (missingMask[k] as number);
          }
          continue;
        }
        // Every node with threshold <= x sends the row right (x < threshold fails).
        const to = nodeStart[f + 1] as number;
        for (let k = nodeStart[f] as number; k < to && (threshold[k] as number) <= x; k += 1) {
          const t = nodeTree[k] as number;
          reachable[t] = (reachable[t] as number) & (nodeMask[k] as number);
        }
      }
      for (let o = 0; o < objectives; o += 1) margins[o] = this.baseMargin[o] as number;
      for (let t = 0; t < trees; t += 1) {
        const bits = reachable[t] as number;
        const leaf = 31 - Math.clz32(bits & -bits);
        const o = treeObjective[t] as number;
        margins[o] =
          (margins[o] as number) + (leafValue[(leafStart[t] as number) + leaf] as number);
      }
      for (let o = 0; o < objectives; o += 1) {
        out[r * objectives + o] = sigmoid(
          (this.slope[o] as number) * (margins[o] as number) + (this.intercept[o] as number),
        );
      }
    }
  }
}

/**
 * Reachable leaves numbered left to right; per reachable node, the first and last leaf number
 * beneath it (undefined for a node no path from the root reaches).
 */
function numberLeaves(tree: RegressionTree): {
  index: Int32Array;
  span: ([number, number] | undefined)[];
  count: number;
} {
  const index = new Int32Array(tree.feature.length).fill(-1);
  const span: ([number, number] | undefined)[] = [];
  let next = 0;
  const visit = (n: number): [number, number] => {
    if (tree.feature[n] === -1) {
      index[n] = next;
      span[n] = [next, next];
      next += 1;
      return span[n]!;
    }
    const [first] = visit(tree.left[n] as number);
    const [, last] = visit(tree.right[n] as number);
    span[n] = [first, last];
    return span[n]!;
  };
  visit(0);
  return { index, span, count: next };
}

function startsOf(sorted: readonly { feature: number }[], width: number): Int32Array {
  const starts = new Int32Array(width + 1);
  for (const node of sorted) starts[node.feature + 1] = (starts[node.feature + 1] as number) + 1;
  for (let f = 0; f < width; f += 1)
    starts[f + 1] = (starts[f + 1] as number) + (starts[f] as number);
  return starts;
}
