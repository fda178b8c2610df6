import { InvalidArgumentError } from '@feedmesh/errors';
import { binFeatures, binWith, type BinnedFeatures } from './feature-bins.js';
import type { LabeledExamples } from './labeled-examples.js';
import { lambdaRankGradients, meanNdcgAt, queryOffsets } from './lambda-rank.js';
import {
  MODEL_FORMAT,
  type RegressionTree,
  type TreeEnsembleModelDocument,
  type TreeEnsembleObjective,
} from './model-document.js';
import { DEFAULT_OBJECTIVE_WEIGHTS, OBJECTIVES, type ObjectiveName } from './objectives.js';
import { sigmoid } from './predictor.js';
import { fitPlatt } from './platt.js';
import { checkSeed, seededRandom } from './random.js';

export type GbdtLoss = 'logistic' | 'lambdarank';

export interface GbdtTrainingOptions {
  /** Objectives to fit; default: every objective the examples have labels for. */
  readonly objectives?: readonly ObjectiveName[];
  /**
   * `logistic` (log loss: margins are log-odds) or `lambdarank` (LambdaMART: pairwise,
   * weighed by the nDCG change of swapping the pair, within each query of `groups`).
   */
  readonly loss?: GbdtLoss;
  /**
   * Query id of each row (one per row, or InvalidArgumentError on `groups`), rows of a query
   * contiguous; required by `lambdarank`.
   */
  readonly groups?: ArrayLike<number>;
  /** Boosting rounds (an upper bound with early stopping). Default 200. */
  readonly trees?: number;
  readonly learningRate?: number;
  /** Leaves per tree, grown best-first. Default 31. */
  readonly maxLeaves?: number;
  readonly maxDepth?: number;
  /** Fewest training rows a leaf may hold. Default 20. */
  readonly minRowsInLeaf?: number;
  /** Smallest hessian sum a leaf may hold. Default 1e-3. */
  readonly minHessianInLeaf?: number;
  /** L2 penalty on leaf values. Default 1. */
  readonly l2?: number;
  /** Quantile bins per feature, at most 255. Default 63. */
  readonly bins?: number;
  /** Share of rows each tree is grown on. Default 1. */
  readonly rowSubsample?: number;
  /** Share of features each tree may split on. Default 1. */
  readonly featureSubsample?: number;
  /** An integer from 0 to 2^32 - 1 (InvalidArgumentError otherwise). Default 1. */
  readonly seed?: number;
  /** The cut-off of nDCG for early stopping on held-out queries: a positive integer. Default 10. */
  readonly ndcgAt?: number;
  /**
   * Held-out rows: training stops once the metric (nDCG@k when `groups` are given, log loss
   * otherwise) has not improved for `earlyStoppingRounds`, keeping the best round, and a
   * lambdarank objective is calibrated on them.
   */
  readonly validation?: {
    readonly examples: LabeledExamples;
    /** One query id per held-out row. */
    readonly groups?: ArrayLike<number>;
    /** The held-out rows binned with `binned`'s cut points (`binWith`), when it is given. */
    readonly binned?: BinnedFeatures;
  };
  /**
   * The examples already binned (`binFeatures(examples, bins)`; `bins` is then not read):
   * models trained on the same rows (a bag) share the binning and the trainer's row-major
   * copy of it instead of each making its own (seconds each on 470k rows).
   */
  readonly binned?: BinnedFeatures;
  readonly earlyStoppingRounds?: number;
  readonly defaultWeights?: Readonly<Partial<Record<ObjectiveName, number>>>;
  readonly description?: string;
}

export interface GbdtFit {
  readonly objective: ObjectiveName;
  readonly trees: number;
  /**
   * The validation metric after each round, when validation was given: nDCG@k when it has
   * queries (`validation.groups`), log loss otherwise.
   */
  readonly validationCurve: readonly number[];
  readonly bestValidation: number | undefined;
}

export interface GbdtTrainingResult {
  readonly model: TreeEnsembleModelDocument;
  readonly fits: readonly GbdtFit[];
}

interface Settings {
  readonly trees: number;
  readonly learningRate: number;
  readonly maxLeaves: number;
  readonly maxDepth: number;
  readonly minRows: number;
  readonly minHessian: number;
  readonly l2: number;
  readonly rowSubsample: number;
  readonly featureSubsample: number;
  readonly earlyStopping: number;
  readonly ndcgAt: number;
}

/**
 * Histogram gradient-boosted trees (LightGBM's recipe: quantile bins, leaf-wise growth, the
 * smaller child's histogram built and the larger one's subtracted, the missing-value
 * direction learned per split), one ensemble per objective, written as a `gbdt` model the
 * Scorer serves. Deterministic for a seed.
 */
export function trainGbdt(
  examples: LabeledExamples,
  options: GbdtTrainingOptions = {},
): GbdtTrainingResult {
  const loss = options.loss ?? 'logistic';
  const objectives =
    options.objectives ?? OBJECTIVES.filter((objective) => examples.labels[objective]);
  if (objectives.length === 0) throw new Error('trainGbdt: no labelled objective to fit');
  if (loss === 'lambdarank' && options.groups === undefined) {
    throw new Error('trainGbdt: lambdarank needs the query of each row (groups)');
  }
  checkGroups('groups', options.groups, examples.rows);
  checkGroups('validation.groups', options.validation?.groups, options.validation?.examples.rows);
  const ndcgAt = options.ndcgAt ?? 10;
  if (!Number.isInteger(ndcgAt) || ndcgAt < 1) {
    // nDCG@0 is 0/0: every round's metric NaN, and early stopping keeps the first tree.
    throw new InvalidArgumentError('ndcgAt', `must be a positive integer, not ${ndcgAt}`);
  }
  const seed = checkSeed(options.seed ?? 1);
  const settings: Settings = {
    trees: options.trees ?? 200,
    learningRate: options.learningRate ?? 0.1,
    maxLeaves: Math.max(2, options.maxLeaves ?? 31),
    maxDepth: options.maxDepth ?? 12,
    minRows: Math.max(1, options.minRowsInLeaf ?? 20),
    minHessian: options.minHessianInLeaf ?? 1e-3,
    l2: options.l2 ?? 1,
    rowSubsample: options.rowSubsample ?? 1,
    featureSubsample: options.featureSubsample ?? 1,
    earlyStopping: options.earlyStoppingRounds ?? 20,
    ndcgAt,
  };
  const binned = options.binned ?? binFeatures(examples, options.bins ?? 63);
  if (binned.rows !== examples.rows || binned.width !== examples.names.length) {
    throw new Error('trainGbdt: the binned features are not those of the examples');
  }
  const validation = options.validation;
  const validationBins = validation
    ? (validation.binned ?? binWith(validation.examples, binned.thresholds))
    : undefined;
  if (validationBins && validationBins.thresholds !== binned.thresholds) {
    throw new Error('trainGbdt: the validation rows are binned with other cut points');
  }

  const fits: GbdtFit[] = [];
  const fitted: TreeEnsembleObjective[] = [];
  for (const objective of objectives) {
    const labels = examples.labels[objective];
    if (labels === undefined) throw new Error(`trainGbdt: no labels for ${objective}`);
    const heldOutLabels = validation?.examples.labels[objective];
    // Each objective samples from its own stream: its trees are the same whichever other
    // objectives this run fits before it.
    const seeded = seededRandom(seed, OBJECTIVES.indexOf(objective));
    const booster = new Booster(binned, slotsOf(binned), settings, () => seeded.next());
    const result = booster.fit({
      loss,
      labels,
      groups: options.groups ? queryOffsets(options.groups) : undefined,
      validation:
        validationBins && heldOutLabels
          ? {
              bins: validationBins,
              labels: heldOutLabels,
              groups: validation?.groups ? queryOffsets(validation.groups) : undefined,
            }
          : undefined,
    });
    let calibration: TreeEnsembleObjective['calibration'];
    if (loss === 'lambdarank') {
      // Margins of a ranking loss order candidates but are not log-odds: map them back on
      // held-out rows when there are some (the training rows' margins are optimistic).
      const { training, validation } = result.marginsAtBest();
      const margins = validation ?? training;
      const calibrationLabels = validation ? heldOutLabels! : labels;
      calibration = fitPlatt(margins, calibrationLabels);
    }
    fitted.push({
      objective,
      baseMargin: result.baseMargin,
      trees: result.trees,
      ...(calibration ? { calibration } : {}),
    });
    fits.push({
      objective,
      trees: result.trees.length,
      validationCurve: result.curve,
      bestValidation: result.best,
    });
  }

  const defaults = options.defaultWeights ?? DEFAULT_OBJECTIVE_WEIGHTS;
  const defaultWeights: Partial<Record<ObjectiveName, number>> = {};
  for (const objective of objectives) defaultWeights[objective] = defaults[objective] ?? 0;
  return {
    model: {
      format: MODEL_FORMAT,
      family: 'gbdt',
      description:
        options.description ??
        `gradient-boosted trees (${loss}) over ${examples.names.length} features`,
      // Trees split on raw values; a missing input follows each split's learned direction.
      features: examples.names.map((name) => ({ name, default: null, transform: 'identity' })),
      objectives: fitted,
      defaultWeights,
    },
    fits,
  };
}

/**
 * Query ids must cover the rows one to one: fewer leave the last rows out of every query (no
 * gradient, so never learned), more read labels past the end.
 */
function checkGroups(
  field: string,
  groups: ArrayLike<number> | undefined,
  rows: number | undefined,
): void {
  if (groups !== undefined && rows !== undefined && groups.length !== rows) {
    throw new InvalidArgumentError(
      field,
      `must hold one query id per row: ${groups.length} for ${rows} rows`,
    );
  }
}

interface FitInput {
  readonly loss: GbdtLoss;
  readonly labels: Uint8Array;
  readonly groups: Int32Array | undefined;
  readonly validation:
    { bins: BinnedFeatures; labels: Uint8Array; groups: Int32Array | undefined } | undefined;
}

interface FitOutput {
  readonly baseMargin: number;
  readonly trees: RegressionTree[];
  readonly curve: number[];
  readonly best: number | undefined;
  /**
   * Margins as of the best round (training rows, held-out rows), for a ranking loss's
   * calibration: worked out on demand, since re-walking every kept tree over every row costs
   * seconds that log loss never needs.
   */
  readonly marginsAtBest: () => { training: Float64Array; validation: Float64Array | undefined };
}

/** A tree while it grows: the served arrays plus each inner node's split bin. */
interface GrowingTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  missingLeft: number[];
  value: number[];
  bin: number[];
}

interface Split {
  gain: number;
  feature: number;
  /** Value bins 1..bin go left; 0: none do (missing values alone go left). */
  bin: number;
  missingLeft: boolean;
}

/**
 * The threshold of a split sending missing values left and every present one right: no
 * finite value is below it, and a served model holds finite numbers only.
 */
const MISSING_ONLY_THRESHOLD = -Number.MAX_VALUE;

interface Leaf {
  node: number;
  depth: number;
  rows: Int32Array;
  histogram: Float64Array;
  gradient: number;
  hessian: number;
  split: Split | undefined;
}

/** A leaf's rows with their gradient and hessian sums, added in row order. */
interface RowSet {
  rows: Int32Array;
  gradient: number;
  hessian: number;
}

class Booster {
  private readonly rows: number;
  private readonly gradients: Float64Array;
  private readonly hessians: Float64Array;

  constructor(
    private readonly data: BinnedFeatures,
    private readonly slots: HistogramSlots,
    private readonly settings: Settings,
    private readonly random: () => number,
  ) {
    this.rows = data.rows;
    this.gradients = new Float64Array(this.rows);
    this.hessians = new Float64Array(this.rows);
  }

  fit(input: FitInput): FitOutput {
    const { labels, loss } = input;
    const n = this.rows;
    let positives = 0;
    for (let r = 0; r < n; r += 1) positives += labels[r] as number;
    const rate = (positives + 0.5) / (n + 1);
    const baseMargin = loss === 'logistic' ? Math.log(rate / (1 - rate)) : 0;
    const margins = new Float64Array(n).fill(baseMargin);
    const validation = input.validation;
    const heldOut = validation
      ? new Float64Array(validation.bins.rows).fill(baseMargin)
      : undefined;
    const trees: RegressionTree[] = [];
    const curve: number[] = [];
    let best: number | undefined;
    let bestRounds = 0;

    for (let round = 0; round < this.settings.trees; round += 1) {
      const rows = this.sampleRows();
      this.computeGradients(input, margins, rows);
      const grown = this.growTree(rows);
      if (grown === undefined) break;
      const { tree, leaves } = grown;
      trees.push(serve(tree));
      addGrownTree(tree, leaves, rows, this.data, margins);
      if (validation && heldOut) {
        addTree(tree, validation.bins, heldOut);
        // With queries, stop on what the list is for (nDCG@k) whatever the loss.
        const byNdcg = validation.groups !== undefined;
        const metric = byNdcg
          ? meanNdcgAt(heldOut, validation.labels, validation.groups!, this.settings.ndcgAt)
          : -logLossOf(heldOut, validation.labels);
        curve.push(byNdcg ? metric : -metric);
        if (best === undefined || metric > best) {
          best = metric;
          bestRounds = trees.length;
        } else if (trees.length - bestRounds >= this.settings.earlyStopping) {
          break;
        }
      }
    }
    const kept = validation ? trees.slice(0, bestRounds) : trees;
    const data = this.data;
    const marginsAtBest = () =>
      kept.length === trees.length
        ? { training: margins, validation: heldOut }
        : {
            training: marginsOf(kept, data, baseMargin),
            validation: validation ? marginsOf(kept, validation.bins, baseMargin) : undefined,
          };
    return {
      baseMargin,
      trees: kept,
      curve,
      best: best === undefined || validation?.groups !== undefined ? best : -best,
      marginsAtBest,
    };
  }

  /**
   * Log loss needs the gradients of the tree's rows only (the others are never read); a
   * ranking loss needs whole queries.
   */
  private computeGradients(input: FitInput, margins: Float64Array, rows: Int32Array): void {
    const { gradients, hessians } = this;
    if (input.loss === 'lambdarank') {
      lambdaRankGradients(margins, input.labels, input.groups!, gradients, hessians);
      return;
    }
    for (let i = 0; i < rows.length; i += 1) {
      const r = rows[i] as number;
      const p = sigmoid(margins[r] as number);
      gradients[r] = p - (input.labels[r] as number);
      hessians[r] = Math.max(p * (1 - p), 1e-12);
    }
  }

  private growTree(rows: Int32Array): { tree: GrowingTree; leaves: Leaf[] } | undefined {
    const s = this.settings;
    if (rows.length < 2 * s.minRows) return undefined;
    const allowed = this.sampleFeatures();
    const tree: GrowingTree = {
      feature: [-1],
      threshold: [0],
      left: [-1],
      right: [-1],
      missingLeft: [0],
      value: [0],
      bin: [0],
    };
    const root = this.leafOf(0, 0, this.sumsOf(rows), this.histogramOf(rows), allowed);
    const leaves: Leaf[] = [root];
    while (leaves.length < s.maxLeaves) {
      let pick = -1;
      for (let i = 0; i < leaves.length; i += 1) {
        const split = leaves[i]!.split;
        if (split && (pick === -1 || split.gain > leaves[pick]!.split!.gain)) pick = i;
      }
      if (pick === -1) break;
      const leaf = leaves[pick]!;
      const split = leaf.split!;
      const [leftRows, rightRows] = this.partition(leaf.rows, split);
      const leftNode = tree.feature.length;
      const rightNode = leftNode + 1;
      tree.feature[leaf.node] = split.feature;
      tree.threshold[leaf.node] =
        split.bin === 0
          ? MISSING_ONLY_THRESHOLD
          : this.data.thresholds[split.feature]![split.bin - 1]!;
      tree.left[leaf.node] = leftNode;
      tree.right[leaf.node] = rightNode;
      tree.missingLeft[leaf.node] = split.missingLeft ? 1 : 0;
      tree.bin[leaf.node] = split.bin;
      for (let k = 0; k < 2; k += 1) {
        tree.feature.push(-1);
        tree.threshold.push(0);
        tree.left.push(-1);
        tree.right.push(-1);
        tree.missingLeft.push(0);
        tree.value.push(0);
        tree.bin.push(0);
      }
      // Build the smaller child's histogram; the larger one is the parent's minus it.
      const leftSmaller = leftRows.rows.length <= rightRows.rows.length;
      const small = this.histogramOf(leftSmaller ? leftRows.rows : rightRows.rows);
      const large = leaf.histogram;
      for (let i = 0; i < large.length; i += 1)
        large[i] = (large[i] as number) - (small[i] as number);
      const depth = leaf.depth + 1;
      const leftLeaf = this.leafOf(leftNode, depth, leftRows, leftSmaller ? small : large, allowed);
      const rightLeaf = this.leafOf(
        rightNode,
        depth,
        rightRows,
        leftSmaller ? large : small,
        allowed,
      );
      leaves.splice(pick, 1, leftLeaf, rightLeaf);
    }
    if (leaves.length === 1) return undefined;
    for (const leaf of leaves) {
      tree.value[leaf.node] = (-leaf.gradient / (leaf.hessian + s.l2)) * s.learningRate;
    }
    return { tree, leaves };
  }

  private leafOf(
    node: number,
    depth: number,
    { rows, gradient, hessian }: RowSet,
    histogram: Float64Array,
    allowed: Uint8Array,
  ): Leaf {
    const split =
      depth < this.settings.maxDepth && rows.length >= 2 * this.settings.minRows
        ? this.bestSplit(histogram, gradient, hessian, rows.length, allowed)
        : undefined;
    return { node, depth, rows, histogram, gradient, hessian, split };
  }

  private sumsOf(rows: Int32Array): RowSet {
    let gradient = 0;
    let hessian = 0;
    for (let i = 0; i < rows.length; i += 1) {
      const r = rows[i] as number;
      gradient += this.gradients[r] as number;
      hessian += this.hessians[r] as number;
    }
    return { rows, gradient, hessian };
  }

  /**
   * Per histogram slot (feature and bin): gradient sum, hessian sum, row count. Two of a
   * row's slots per step (about a fifth faster than one): they belong to two features, so
   * they are never the same slot, and each slot still adds its rows in row order.
   */
  private histogramOf(rows: Int32Array): Float64Array {
    const { perRow, rowSlots, total } = this.slots;
    const histogram = new Float64Array(total * 3);
    const { gradients, hessians } = this;
    const odd = perRow & 1;
    for (let i = 0; i < rows.length; i += 1) {
      const r = rows[i] as number;
      const g = gradients[r] as number;
      const h = hessians[r] as number;
      const base = r * perRow;
      const end = base + perRow - odd;
      for (let at = base; at < end; at += 2) {
        const a = rowSlots[at] as number;
        const b = rowSlots[at + 1] as number;
        histogram[a] = (histogram[a] as number) + g;
        histogram[a + 1] = (histogram[a + 1] as number) + h;
        histogram[a + 2] = (histogram[a + 2] as number) + 1;
        histogram[b] = (histogram[b] as number) + g;
        histogram[b + 1] = (histogram[b + 1] as number) + h;
        histogram[b + 2] = (histogram[b + 2] as number) + 1;
      }
      if (odd === 1) {
        const a = rowSlots[end] as number;
        histogram[a] = (histogram[a] as number) + g;
        histogram[a + 1] = (histogram[a + 1] as number) + h;
        histogram[a + 2] = (histogram[a + 2] as number) + 1;
      }
    }
    return histogram;
  }

  private bestSplit(
    histogram: Float64Array,
    gradient: number,
    hessian: number,
    count: number,
    allowed: Uint8Array,
  ): Split | undefined {
    const { l2, minRows, minHessian } = this.settings;
    const parentScore = (gradient * gradient) / (hessian + l2);
    let best: Split | undefined;
    for (let f = 0; f < this.data.width; f += 1) {
      if (allowed[f] === 0 || this.slots.splittable[f] === 0) continue;
      const valueBins = (this.data.thresholds[f] as Float64Array).length + 1;
      const base = (this.slots.offsets[f] as number) * 3;
      const mg = histogram[base] as number;
      const mh = histogram[base + 1] as number;
      const mc = histogram[base + 2] as number;
      let lg = 0;
      let lh = 0;
      let lc = 0;
      for (let b = 1; b < valueBins; b += 1) {
        const at = base + b * 3;
        lg += histogram[at] as number;
        lh += histogram[at + 1] as number;
        lc += histogram[at + 2] as number;
        for (let side = 0; side < 2; side += 1) {
          // side 0: missing values go right; side 1: they go left.
          if (side === 1 && mc === 0) break;
          const g = side === 1 ? lg + mg : lg;
          const h = side === 1 ? lh + mh : lh;
          const c = side === 1 ? lc + mc : lc;
          const rg = gradient - g;
          const rh = hessian - h;
          if (c < minRows || count - c < minRows || h < minHessian || rh < minHessian) continue;
          const gain = (g * g) / (h + l2) + (rg * rg) / (rh + l2) - parentScore;
          if (gain > 1e-12 && (best === undefined || gain > best.gain)) {
            best = { gain, feature: f, bin: b, missingLeft: side === 1 };
          }
        }
      }
      // Missing values alone on the left, every present value on the right: what no
      // threshold gives, and the only split of a feature present with one value.
      const rg = gradient - mg;
      const rh = hessian - mh;
      if (mc < minRows || count - mc < minRows || mh < minHessian || rh < minHessian) continue;
      const gain = (mg * mg) / (mh + l2) + (rg * rg) / (rh + l2) - parentScore;
      if (gain > 1e-12 && (best === undefined || gain > best.gain)) {
        best = { gain, feature: f, bin: 0, missingLeft: true };
      }
    }
    return best;
  }

  /**
   * The rows of each side, in row order, with their gradient and hessian sums added in that
   * order (what summing each side's rows afterwards gives, without reading them again).
   */
  private partition(rows: Int32Array, split: Split): [RowSet, RowSet] {
    const { codes } = this.data;
    const { gradients, hessians } = this;
    const base = split.feature * this.rows;
    // Left rows fill the buffer from the front, right rows from the back (then reversed to
    // keep the row order every histogram sums in).
    const buffer = new Int32Array(rows.length);
    let left = 0;
    let right = rows.length;
    let leftGradient = 0;
    let leftHessian = 0;
    let rightGradient = 0;
    let rightHessian = 0;
    for (let i = 0; i < rows.length; i += 1) {
      const r = rows[i] as number;
      const code = codes[base + r] as number;
      if (code === 0 ? split.missingLeft : code <= split.bin) {
        buffer[left++] = r;
        leftGradient += gradients[r] as number;
        leftHessian += hessians[r] as number;
      } else {
        buffer[--right] = r;
        rightGradient += gradients[r] as number;
        rightHessian += hessians[r] as number;
      }
    }
    return [
      { rows: buffer.slice(0, left), gradient: leftGradient, hessian: leftHessian },
      { rows: buffer.slice(left).reverse(), gradient: rightGradient, hessian: rightHessian },
    ];
  }

  private sampleRows(): Int32Array {
    const share = this.settings.rowSubsample;
    const rows = new Int32Array(this.rows);
    if (share >= 1) {
      for (let r = 0; r < this.rows; r += 1) rows[r] = r;
      return rows;
    }
    let kept = 0;
    for (let r = 0; r < this.rows; r += 1) if (this.random() < share) rows[kept++] = r;
    return rows.slice(0, kept);
  }

  private sampleFeatures(): Uint8Array {
    const share = this.settings.featureSubsample;
    const allowed = new Uint8Array(this.data.width).fill(1);
    if (share >= 1) return allowed;
    let kept = 0;
    for (let f = 0; f < this.data.width; f += 1) {
      if (this.random() >= share) allowed[f] = 0;
      else kept += 1;
    }
    if (kept === 0) allowed[Math.floor(this.random() * this.data.width)] = 1;
    return allowed;
  }
}

/**
 * The codes again, row-major and as histogram slots: a histogram walks a leaf's rows once,
 * reading each row's slots from one cache line and its gradient once, instead of once per
 * feature (about twice as fast on 470k rows x 28 features; the sums are the same, added in
 * the same row order). Each feature has its own bins' slots (missing first), and a feature
 * with one value bin, which never splits, has none in the rows.
 */
interface HistogramSlots {
  /** Slots a row fills: the features that can split. */
  readonly perRow: number;
  /** Per feature, 1 when it can split (two value bins, or a missing value and a present one). */
  readonly splittable: Uint8Array;
  /**
   * `rowSlots[r * perRow + j]`: where row r's code of the j-th such feature sums in the
   * histogram (its slot times 3: gradient, hessian, count).
   */
  readonly rowSlots: Uint16Array | Uint32Array;
  /** First slot of each feature (not times 3). */
  readonly offsets: Int32Array;
  readonly total: number;
}

/** Made once per binned matrix: the models of a bag share it. */
const slotCache = new WeakMap<BinnedFeatures, HistogramSlots>();

function slotsOf(data: BinnedFeatures): HistogramSlots {
  const cached = slotCache.get(data);
  if (cached) return cached;
  const offsets = new Int32Array(data.width);
  const splittable: number[] = [];
  const canSplit = new Uint8Array(data.width);
  const n = data.rows;
  let total = 0;
  for (let f = 0; f < data.width; f += 1) {
    offsets[f] = total;
    const valueBins = (data.thresholds[f] as Float64Array).length + 1;
    if (valueBins < 2 && !missingAndPresent(data.codes, f * n, n)) continue;
    splittable.push(f);
    canSplit[f] = 1;
    total += valueBins + 1;
  }
  const perRow = splittable.length;
  const rowSlots = total * 3 <= 0xffff ? new Uint16Array(n * perRow) : new Uint32Array(n * perRow);
  splittable.forEach((f, j) => {
    const base = f * n;
    const offset = offsets[f] as number;
    for (let r = 0; r < n; r += 1) {
      rowSlots[r * perRow + j] = (offset + (data.codes[base + r] as number)) * 3;
    }
  });
  const slots = { perRow, splittable: canSplit, rowSlots, offsets, total };
  slotCache.set(data, slots);
  return slots;
}

/** Whether a column's codes hold both a missing value (0) and a present one. */
function missingAndPresent(codes: Uint8Array, from: number, rows: number): boolean {
  let missing = false;
  let present = false;
  for (let r = from; r < from + rows && !(missing && present); r += 1) {
    if (codes[r] === 0) missing = true;
    else present = true;
  }
  return missing && present;
}

function serve(tree: GrowingTree): RegressionTree {
  return {
    feature: tree.feature,
    threshold: tree.threshold,
    left: tree.left,
    right: tree.right,
    missingLeft: tree.missingLeft,
    value: tree.value,
  };
}

/**
 * Adds a grown tree to the training margins: the rows it grew on get their leaf's value
 * straight from the leaves that hold them, only the others walk the tree (the same leaf
 * either way).
 */
function addGrownTree(
  tree: GrowingTree,
  leaves: readonly Leaf[],
  sampled: Int32Array,
  data: BinnedFeatures,
  margins: Float64Array,
): void {
  for (const leaf of leaves) {
    const value = tree.value[leaf.node] as number;
    const rows = leaf.rows;
    for (let i = 0; i < rows.length; i += 1) {
      const r = rows[i] as number;
      margins[r] = (margins[r] as number) + value;
    }
  }
  if (sampled.length === data.rows) return;
  const n = data.rows;
  let next = 0;
  for (let r = 0; r < n; r += 1) {
    // The sample is in row order: step past the rows it holds.
    if (next < sampled.length && sampled[next] === r) {
      next += 1;
      continue;
    }
    margins[r] = (margins[r] as number) + (tree.value[leafOf(tree, data, r)] as number);
  }
}

/** The node (a leaf) binned row `r` reaches in a growing tree. */
function leafOf(tree: GrowingTree, data: BinnedFeatures, r: number): number {
  const n = data.rows;
  let node = 0;
  let f = tree.feature[0] as number;
  while (f !== -1) {
    const code = data.codes[f * n + r] as number;
    const goLeft = code === 0 ? tree.missingLeft[node] === 1 : code <= (tree.bin[node] as number);
    node = (goLeft ? tree.left[node] : tree.right[node]) as number;
    f = tree.feature[node] as number;
  }
  return node;
}

/** Adds a growing tree's leaf to each row's margin, walking the binned codes. */
function addTree(tree: GrowingTree, data: BinnedFeatures, margins: Float64Array): void {
  const n = data.rows;
  for (let r = 0; r < n; r += 1) {
    margins[r] = (margins[r] as number) + (tree.value[leafOf(tree, data, r)] as number);
  }
}

/** Margins of served trees over binned rows: thresholds are bin edges, so codes decide. */
function marginsOf(
  trees: readonly RegressionTree[],
  data: BinnedFeatures,
  base: number,
): Float64Array {
  const margins = new Float64Array(data.rows).fill(base);
  for (const tree of trees) {
    // A missing-only split's threshold is no cut point: bin 0, no value bin goes left.
    const bins = tree.feature.map((f, node) =>
      f === -1 || tree.threshold[node] === MISSING_ONLY_THRESHOLD
        ? 0
        : 1 + data.thresholds[f]!.indexOf(tree.threshold[node] as number),
    );
    addTree({ ...tree, bin: bins } as GrowingTree, data, margins);
  }
  return margins;
}

function logLossOf(margins: Float64Array, labels: Uint8Array): number {
  let total = 0;
  for (let r = 0; r < margins.length; r += 1) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, sigmoid(margins[r] as number)));
    total -= labels[r] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return margins.length === 0 ? 0 : total / margins.length;
}
