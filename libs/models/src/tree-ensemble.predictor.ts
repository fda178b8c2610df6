import type { TreeEnsembleModelDocument } from './model-document.js';
import type { ObjectiveName } from './objectives.js';
import { sigmoid, type Predictor } from './predictor.js';

/**
 * Every tree of every objective packed into flat typed arrays (one node table, per-tree root
 * offsets), so scoring a row walks integers and floats without touching the JSON document.
 */
export class TreeEnsemblePredictor implements Predictor {
  readonly objectives: readonly ObjectiveName[];
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  /** Absolute node index of each child; `missingLeft` folded into `missingChild`. */
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly missingChild: Int32Array;
  private readonly value: Float64Array;
  /** Per objective, its trees' roots as [treeStart[o], treeStart[o + 1]) into `roots`. */
  private readonly treeStart: Int32Array;
  private readonly roots: Int32Array;
  private readonly baseMargin: Float64Array;
  private readonly slope: Float64Array;
  private readonly intercept: Float64Array;
  private readonly float32Inputs: boolean;

  constructor(model: TreeEnsembleModelDocument) {
    this.objectives = model.objectives.map((o) => o.objective);
    this.float32Inputs = model.float32Inputs === true;
    let nodes = 0;
    let trees = 0;
    for (const objective of model.objectives) {
      trees += objective.trees.length;
      for (const tree of objective.trees) nodes += tree.feature.length;
    }
    this.feature = new Int32Array(nodes);
    this.threshold = new Float64Array(nodes);
    this.left = new Int32Array(nodes);
    this.right = new Int32Array(nodes);
    this.missingChild = new Int32Array(nodes);
    this.value = new Float64Array(nodes);
    this.roots = new Int32Array(trees);
    this.treeStart = new Int32Array(model.objectives.length + 1);
    this.baseMargin = Float64Array.from(model.objectives, (o) => o.baseMargin);
    this.slope = Float64Array.from(model.objectives, (o) => o.calibration?.slope ?? 1);
    this.intercept = Float64Array.from(model.objectives, (o) => o.calibration?.intercept ?? 0);
    let node = 0;
    let tree = 0;
    model.objectives.forEach((objective, o) => {
      this.treeStart[o] = tree;
      for (const t of objective.trees) {
        this.roots[tree] = node;
        tree += 1;
        for (let n = 0; n < t.feature.length; n += 1) {
          const at = node + n;
          this.feature[at] = t.feature[n] as number;
          this.threshold[at] = t.threshold[n] as number;
          this.left[at] = node + (t.left[n] as number);
          this.right[at] = node + (t.right[n] as number);
          this.missingChild[at] = t.missingLeft[n] === 1 ? this.left[at]! : this.right[at]!;
          this.value[at] = t.value[n] as number;
        }
        node += t.feature.length;
      }
    });
    this.treeStart[model.objectives.length] = tree;
  }

  /** The raw margin of objective `o` (before calibration and the sigmoid). */
  margin(inputs: Float64Array, o: number): number {
    const { feature, threshold, left, right, missingChild, value, roots } = this;
    const float32 = this.float32Inputs;
    const to = this.treeStart[o + 1] as number;
    let margin = this.baseMargin[o] as number;
    for (let t = this.treeStart[o] as number; t < to; t += 1) {
      let n = roots[t] as number;
      let f = feature[n] as number;
      while (f !== -1) {
        const raw = inputs[f] as number;
        const x = float32 ? Math.fround(raw) : raw;
        // NaN fails both comparisons: a missing input takes the learned branch.
        n = (
          x < (threshold[n] as number)
            ? left[n]
            : x >= (threshold[n] as number)
              ? right[n]
              : missingChild[n]
        ) as number;
        f = feature[n] as number;
      }
      margin += value[n] as number;
    }
    return margin;
  }

  predictRow(inputs: Float64Array, out: Float32Array, offset: number): void {
    for (let o = 0; o < this.objectives.length; o += 1) {
      const margin = this.margin(inputs, o);
      out[offset + o] = sigmoid((this.slope[o] as number) * margin + (this.intercept[o] as number));
    }
  }
}
